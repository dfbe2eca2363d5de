// `trajectorylab compress <model> <in> <out>` and `trajectorylab decompress <model> <in> <out>`: lossless text
// compression with a language model as the arithmetic coder's predictor (Witten, Neal & Cleary 1987, CACM 30(6);
// Delétang et al. 2024, "Language Modeling Is Compression"): the compressed size is the model's code length −Σ log₂ p of
// the text's tokens, plus at most a few bytes (docs/code-length.md). Bad input: one line naming the file, exit code 2.
using System.Diagnostics;
using System.Globalization;
using TrajectoryLab.Cli.Runs;
using TrajectoryLab.Core.Coding;
using TrajectoryLab.Core.IO;
using TrajectoryLab.Experiments.CodeLength;
using TrajectoryLab.Experiments.Shared;
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Cli.Commands;

/// <summary>Compresses a text file with a model.</summary>
public sealed class CompressCommand(ProjectPaths paths) : ICommand
{
    /// <inheritdoc/>
    public string Name => "compress";

    /// <inheritdoc/>
    public string Summary => "compress a text with a model as arithmetic coder: trajectorylab compress <model> <in> <out>";

    /// <inheritdoc/>
    public string Help =>
        """
            usage: trajectorylab compress <model> <in> <out>

            Codes the UTF-8 text <in> into <out>: the model's tokenizer turns it into token ids, and each id is
            arithmetic-coded (32-bit Witten–Neal–Cleary coder) under the model's next-token softmax (float32, CPU, batch 1,
            one token per pass, libtorch on 1 thread), quantised to integer frequencies summing to 2^24. The context
            restarts from BOS every n_ctx − 1 tokens. <model> is "default" (models/brown-small) or a model path, as for
            `trajectorylab check`. A text the tokenizer does not reproduce byte for byte is refused. Decompress with the
            same model on the same kind of machine: `trajectorylab decompress <model> <out> <text>` (docs/code-length.md).
            """;

    /// <inheritdoc/>
    public int Execute(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        if (args.Count != 3)
            return Usage.Error(this, "needs <model> <in> <out>");
        var (modelName, input, output) = (args[0], args[1], args[2]);
        if (!File.Exists(input))
            return Fail($"{Path.GetFullPath(input)}: no such file");
        var bytes = File.ReadAllBytes(input);
        using var coder = CoderModel.Open(modelName, paths, out var problem);
        if (coder is null)
            return Fail(problem!);
        if (TextCompressor.Tokenize(bytes, coder.Tokenizer, out var ids) is { } refusal)
            return Fail($"{Path.GetFullPath(input)}: {refusal}");

        var clock = Stopwatch.StartNew();
        using var model = coder.Coding();
        CompressedText file;
        EncodedTokens coded;
        try
        {
            (file, coded) = TextCompressor.Compress(
                bytes,
                ids,
                model,
                coder.Hash,
                TextCompressor.StartToken(coder.Tokenizer),
                cancellation
            );
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"trajectorylab {Name}: cancelled; nothing written");
            return ExitCodes.Cancelled;
        }
        var written = file.ToBytes();
        AtomicFile.WriteAllBytes(output, written);
        var seconds = clock.Elapsed.TotalSeconds;
        var perByte = bytes.Length == 0 ? 0 : 8.0 * written.Length / bytes.Length;
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{bytes.Length} bytes, {ids.Length} tokens → {written.Length} bytes ({CompressedText.HeaderBytes} header + "
                    + $"{file.Payload.Length} payload): {perByte:F3} bits/byte; Σ −log₂ p = {coded.IdealBits:F1} bits, payload "
                    + $"{coded.Bits} bits; {seconds:F1} s ({(seconds > 0 ? bytes.Length / 1024.0 / seconds : 0):F2} KB/s)"
            )
        );
        return ExitCodes.Ok;
    }

    private int Fail(string message)
    {
        Console.Error.WriteLine($"trajectorylab {Name}: {message}");
        return ExitCodes.BadInput;
    }
}

/// <summary>Decompresses what <see cref="CompressCommand"/> wrote.</summary>
public sealed class DecompressCommand(ProjectPaths paths) : ICommand
{
    /// <inheritdoc/>
    public string Name => "decompress";

    /// <inheritdoc/>
    public string Summary => "decompress what compress wrote: trajectorylab decompress <model> <in> <out>";

    /// <inheritdoc/>
    public string Help =>
        """
            usage: trajectorylab decompress <model> <in> <out>

            Decodes <in>, written by `trajectorylab compress`, with the same model, and writes the original bytes to <out>
            (atomically: <out> appears whole or not at all). Refused with one line and exit code 2, writing nothing: a file
            that is not this format, is truncated or corrupted (a SHA-256 covers header and payload), was compressed with
            another model (its content hash: weights, config, tokenizer), or whose decoded bytes fail the original's SHA-256.
            """;

    /// <inheritdoc/>
    public int Execute(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        if (args.Count != 3)
            return Usage.Error(this, "needs <model> <in> <out>");
        var (modelName, input, output) = (args[0], args[1], args[2]);
        var full = Path.GetFullPath(input);
        if (!File.Exists(input))
            return Fail($"{full}: no such file");
        CompressedText file;
        try
        {
            file = CompressedText.Parse(File.ReadAllBytes(input), full);
        }
        catch (CompressedTextException e)
        {
            return Fail(e.Message);
        }
        using var coder = CoderModel.Open(modelName, paths, out var problem);
        if (coder is null)
            return Fail(problem!);
        byte[] bytes;
        try
        {
            using var model = coder.Coding();
            bytes = TextCompressor.Decompress(file, full, model, coder.Tokenizer, coder.Hash, cancellation);
        }
        catch (CompressedTextException e)
        {
            return Fail(e.Message);
        }
        catch (OperationCanceledException)
        {
            Console.Error.WriteLine($"trajectorylab {Name}: cancelled; nothing written");
            return ExitCodes.Cancelled;
        }
        AtomicFile.WriteAllBytes(output, bytes);
        Console.WriteLine(string.Create(CultureInfo.InvariantCulture, $"{file.Tokens} tokens → {bytes.Length} bytes: checksum matches"));
        return ExitCodes.Ok;
    }

    private int Fail(string message)
    {
        Console.Error.WriteLine($"trajectorylab {Name}: {message}");
        return ExitCodes.BadInput;
    }
}

/// <summary>A model loaded for coding: the model, its tokenizer and its content hash.</summary>
internal sealed class CoderModel : IDisposable
{
    private CoderModel(string name, LanguageModel model, ITextTokenizer tokenizer, byte[] hash) =>
        (Name, Model, Tokenizer, Hash) = (name, model, tokenizer, hash);

    /// <summary>The model as the user named it.</summary>
    public string Name { get; }

    /// <summary>The loaded model (CPU, float32).</summary>
    public LanguageModel Model { get; }

    /// <summary>Its tokenizer.</summary>
    public ITextTokenizer Tokenizer { get; }

    /// <summary>Its content hash (ModelContentHash).</summary>
    public byte[] Hash { get; }

    /// <summary>A coder on <see cref="Model"/> (dispose it before the next).</summary>
    public LanguageModelCoding Coding() => new(Name, Model);

    /// <summary>Loads <paramref name="name"/> on the CPU in float32, or says in one line why not.</summary>
    public static CoderModel? Open(string name, ProjectPaths paths, out string? problem)
    {
        problem = null;
        LanguageModel? model = null;
        try
        {
            var source = ModelLocator.Resolve(name, null, paths);
            var hash = ModelContentHash.Of(source);
            model = LanguageModel.Load(source, new ModelOptions { Device = "cpu", DType = "float32" });
            var tokenizer = source.LoadTokenizer(model.Spec.VocabSize);
            if (tokenizer is null)
            {
                problem = $"{source.Path}: the model has no tokenizer; compress codes text through one";
                model.Dispose();
                return null;
            }
            return new CoderModel(name, model, tokenizer, hash);
        }
        catch (Exception e) when (e is CheckpointException or TokenizerFormatException or IOException)
        {
            model?.Dispose();
            problem = e.Message;
            return null;
        }
    }

    /// <summary>Frees the model.</summary>
    public void Dispose() => Model.Dispose();
}

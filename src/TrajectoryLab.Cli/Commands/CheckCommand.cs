// `trajectorylab check <model> [--tokenizer PATH]`: the preflight every experiment runs on its model, on its own:
// resolve the files, validate config, headers, offsets, shapes and dtypes, stream every weight once for NaN/∞, parse the
// tokenizer, and print what was found. Worth running before a long sweep on a checkpoint from elsewhere.
using System.Globalization;
using TrajectoryLab.Cli.Runs;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Cli.Commands;

/// <summary>Checks a model without running an experiment.</summary>
public sealed class CheckCommand(ProjectPaths paths) : ICommand
{
    public string Name => "check";
    public string Summary => "check a model's files (config, tensors, finite weights, tokenizer): trajectorylab check <model>";
    public string Help =>
        """
            usage: trajectorylab check <model> [--tokenizer PATH]

            <model> is "default", a Hugging Face folder (config.json + model.safetensors or shards and their index),
            a .safetensors file with config.json beside it, or a llama2.c .bin (tokenizer.bin beside it is used if there).
            Checks what every experiment checks before it starts: config.json's keys and their consistency, every
            safetensors header (bounds, offsets tiling the data exactly, dtypes), every tensor the architecture needs
            (present, with the shape config.json implies), every weight streamed once and found finite, and the tokenizer
            (parseable, no more ids than the vocabulary). Prints the architecture and what was read; exit code 2 and one
            line naming the file and the key or tensor at fault otherwise.
            """;

    public int Execute(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        string? model = null,
            tokenizer = null;
        for (var i = 0; i < args.Count; i++)
        {
            if (args[i] == "--tokenizer")
            {
                if (i + 1 >= args.Count)
                    return Usage.Error(this, "--tokenizer needs a path");
                tokenizer = args[++i];
            }
            else if (model is null)
                model = args[i];
            else
                return Usage.Error(this, $"unexpected argument '{args[i]}'");
        }
        if (model is null)
            return Usage.Error(this, "which model? (\"default\" or a path)");

        if (ModelPreflight.Check(model, tokenizer, paths, out var result) is { } problem)
        {
            Console.Error.WriteLine($"trajectorylab check: {problem.Message}");
            return ExitCodes.BadInput;
        }
        var (source, spec) = (result!.Source, result.Spec);
        Console.WriteLine(source.Describe());
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{spec.ModelType}: {spec.NumLayers} layers, d_model {spec.HiddenSize}, {spec.NumHeads} heads ({spec.NumKvHeads} key/value) of {spec.HeadDim}, d_mlp {spec.IntermediateSize}, vocabulary {spec.VocabSize}, context {spec.MaxPositionEmbeddings}, {(spec.TieWordEmbeddings ? "tied" : "untied")} head"
            )
        );
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{result.Tensors} {(source.Format == ModelFormat.Llama2c ? "arrays" : "tensors")}, {result.Bytes / 1048576.0:F1} MiB of weights read: every value finite"
            )
        );
        Console.WriteLine(
            result.Tokenizer is null
                ? "no tokenizer: give prompts and texts as token ids (promptIds, text.ids)"
                : string.Create(
                    CultureInfo.InvariantCulture,
                    $"tokenizer: {result.Tokenizer.VocabularySize} ids, BOS {result.Tokenizer.BosId?.ToString(CultureInfo.InvariantCulture) ?? "none"}, EOS {result.Tokenizer.EosId?.ToString(CultureInfo.InvariantCulture) ?? "none"}"
                )
        );
        return ExitCodes.Ok;
    }
}

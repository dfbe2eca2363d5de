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
        var heads = string.Create(CultureInfo.InvariantCulture, $"{spec.NumHeads} heads ({spec.NumKvHeads} key/value) of {spec.HeadDim}");
        var sizes = string.Create(
            CultureInfo.InvariantCulture,
            $"d_mlp {spec.IntermediateSize}, vocabulary {spec.VocabSize}, context {spec.MaxPositionEmbeddings}"
        );
        if (spec.Block.Mamba is { } mamba) // no attention, no MLP, no context limit: the mixer's sizes instead
            (heads, sizes) = (
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"Mamba mixer (d_inner {spec.IntermediateSize}, d_state {mamba.StateSize}, d_conv {mamba.ConvKernel}, "
                        + $"dt_rank {mamba.TimeStepRank})"
                ),
                string.Create(CultureInfo.InvariantCulture, $"vocabulary {spec.VocabSize}, no context limit")
            );
        var tying = spec.TieWordEmbeddings ? "tied" : "untied";
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{spec.ModelType}: {spec.NumLayers} layers, d_model {spec.HiddenSize}, {heads}, {sizes}, {tying} head"
            )
        );
        var arrays = source.Format == ModelFormat.Llama2c ? "arrays" : "tensors";
        Console.WriteLine(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{result.Tensors} {arrays}, {result.Bytes / 1048576.0:F1} MiB of weights read: every value finite"
            )
        );
        var loadedTokenizer = result.Tokenizer;
        var bos = loadedTokenizer?.BosId?.ToString(CultureInfo.InvariantCulture) ?? "none";
        var eos = loadedTokenizer?.EosId?.ToString(CultureInfo.InvariantCulture) ?? "none";
        Console.WriteLine(
            loadedTokenizer is null
                ? "no tokenizer: give prompts and texts as token ids (promptIds, text.ids)"
                : string.Create(CultureInfo.InvariantCulture, $"tokenizer: {loadedTokenizer.VocabularySize} ids, BOS {bos}, EOS {eos}")
        );
        return ExitCodes.Ok;
    }
}

// Options of bench-decode: the shape of the random-weight Llama (stories15M by default: dim 288, 6 layers, 6 heads,
// hidden 768, vocab 32000, tied), what is timed (batches, prompt, new and prefill tokens, repeats, threads), the
// issue's throughput targets the figures are read against, and the architectures compared with it at the same sizes.
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>Options of <c>bench-decode</c>.</summary>
public sealed class DecodeBenchOptions : ExperimentOptions, IValidatableObject
{
    [Range(8, 65_536)]
    public int Dim { get; set; } = 288;

    [Range(1, 256)]
    public int Layers { get; set; } = 6;

    [Range(1, 256)]
    public int Heads { get; set; } = 6;

    /// <summary>Key/value heads; 0 means equal to <see cref="Heads"/>.</summary>
    [Range(0, 256)]
    public int KvHeads { get; set; }

    [Range(8, 262_144)]
    public int Hidden { get; set; } = 768;

    [Range(2, 1_000_000)]
    public int Vocab { get; set; } = 32_000;

    [Range(8, 1_000_000)]
    public int Context { get; set; } = 256;

    /// <summary>Tied input/output embedding (stories15M ties them).</summary>
    public bool Tied { get; set; } = true;

    /// <summary>Batch sizes measured (1 = single stream).</summary>
    [EachInRange(1, 4096)]
    public int[] Batches { get; set; } = [1, 32];

    [Range(1, 100_000)]
    public int PromptTokens { get; set; } = 8;

    [Range(1, 100_000)]
    public int NewTokens { get; set; } = 248;

    [Range(1, 1_000_000)]
    public int PrefillTokens { get; set; } = 256;

    [Range(1, 100)]
    public int Repeats { get; set; } = 3;

    [Range(1, 1024)]
    public int Threads { get; set; } = 2;

    /// <summary>Target of batch-1 decoding as a fraction of the bandwidth floor measured in the same run (step time ≤
    /// floor / fraction).</summary>
    [Range(0.01, 1)]
    public double TargetBandwidthFraction { get; set; } = 0.9;

    /// <summary>Target of the largest batch's aggregate decoding speed on 2 cores, tokens/s.</summary>
    [Range(0, 1e9)]
    public double TargetBatched { get; set; } = 3000;

    /// <summary>Target of the prefill on 2 cores, tokens/s.</summary>
    [Range(0, 1e9)]
    public double TargetPrefill { get; set; } = 12_000;

    /// <summary>model_types measured at the same sizes, each shaped with its family's design (<see cref="ModelSpec.Shaped"/>),
    /// tokens/s read as ratios to the Llama, which is always measured (with the floors and targets). Default: the Llama
    /// alone.</summary>
    public string[] Architectures { get; set; } = ["llama"];

    /// <summary>The sizes every architecture is shaped from.</summary>
    public ModelSizes Sizes => new(Vocab, Dim, Layers, Heads, Hidden, Context, KvHeads == 0 ? null : KvHeads, Tied);

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext validationContext)
    {
        var supported = ModelSpec.SupportedModelTypes;
        for (var i = 0; i < Architectures.Length; i++)
        {
            var type = Architectures[i];
            string[] key = [$"Architectures:{i}"];
            if (!supported.Contains(type))
                yield return new ValidationResult($"'{type}' is not supported (supported: {string.Join(", ", supported)})", key);
            else if (Array.IndexOf(Architectures, type) < i)
                yield return new ValidationResult($"'{type}' is listed twice", key);
            else if (ModelSpec.Shaped(type, Sizes).FindProblem() is var (specKey, problem))
                yield return new ValidationResult($"{type} cannot be shaped from these sizes: {specKey} {problem}", key);
            else if (type == "gpt2" && Math.Max(PromptTokens + NewTokens, PrefillTokens) > Context)
                yield return new ValidationResult(
                    $"gpt2's learned positions end at context {Context}: promptTokens + newTokens and prefillTokens must not exceed it",
                    key
                );
        }
    }
}

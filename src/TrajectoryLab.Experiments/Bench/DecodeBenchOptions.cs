// Options of bench-decode: the shape of the random-weight Llama (stories15M by default: dim 288, 6 layers, 6 heads,
// hidden 768, vocab 32000, tied), what is timed (batches, prompt, new and prefill tokens, repeats, threads) and the
// issue's throughput targets the figures are read against.
using System.ComponentModel.DataAnnotations;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>Options of <c>bench-decode</c>.</summary>
public sealed class DecodeBenchOptions : ExperimentOptions
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

    /// <summary>Targets of the model issue on 2 cores, tokens/s.</summary>
    [Range(0, 1e9)]
    public double TargetSingle { get; set; } = 300;

    [Range(0, 1e9)]
    public double TargetBatched { get; set; } = 2000;

    [Range(0, 1e9)]
    public double TargetPrefill { get; set; } = 10_000;
}

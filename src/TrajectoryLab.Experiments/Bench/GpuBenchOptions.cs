// Options of bench-gpu (experiments/bench-gpu.json): the random-weight Llama of issue 9 (~1.1B parameters: dim 2048,
// 16 layers, 32 heads, 8 KV heads, hidden 8192, vocab 32000, untied head, context 2048) on a device and dtype, what is
// measured, the device's peak figures the measurements are read against, and the optional PyTorch baseline file written
// by scripts/gpu/hf_eager_bench.py (which reads the same keys from the same file).
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using TrajectoryLab.Experiments;
using TrajectoryLab.Torch.Bench;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>Options of <c>bench-gpu</c>.</summary>
public sealed class GpuBenchOptions : ExperimentOptions, IPreflight
{
    /// <summary>d_model.</summary>
    [Range(8, 65_536)]
    public int Dim { get; set; } = 2048;

    /// <summary>Transformer blocks.</summary>
    [Range(1, 256)]
    public int Layers { get; set; } = 16;

    /// <summary>Query heads (d_head = dim / heads).</summary>
    [Range(1, 256)]
    public int Heads { get; set; } = 32;

    /// <summary>Key/value heads (grouped-query attention when fewer than heads).</summary>
    [Range(1, 256)]
    public int KvHeads { get; set; } = 8;

    /// <summary>MLP hidden width.</summary>
    [Range(8, 262_144)]
    public int Hidden { get; set; } = 8192;

    /// <summary>Vocabulary size.</summary>
    [Range(2, 1_000_000)]
    public int Vocab { get; set; } = 32_000;

    /// <summary>Context length (max_position_embeddings).</summary>
    [Range(8, 1_000_000)]
    public int Context { get; set; } = 2048;

    /// <summary>Tied input/output embedding.</summary>
    public bool Tied { get; set; }

    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    [Required]
    public string Device { get; set; } = "cuda";

    /// <summary>"float32", "bfloat16" or "float16".</summary>
    [Required]
    public string DType { get; set; } = "bfloat16";

    /// <summary>Decode batch sizes (1 = single stream).</summary>
    [MinLength(1), EachInRange(1, 4096)]
    public int[] Batches { get; set; } = [1, 64];

    /// <summary>Prompt tokens before the timed decoding steps.</summary>
    [Range(1, 1_000_000)]
    public int PromptTokens { get; set; } = 128;

    /// <summary>Timed decoding steps (new tokens per trajectory).</summary>
    [Range(1, 1_000_000)]
    public int NewTokens { get; set; } = 256;

    /// <summary>Tokens of the prefill measurement.</summary>
    [Range(1, 1_000_000)]
    public int PrefillTokens { get; set; } = 2048;

    /// <summary>Timed runs per figure after a warm-up; the best counts.</summary>
    [Range(1, 100)]
    public int Repeats { get; set; } = 3;

    /// <summary>libtorch intra-op CPU threads.</summary>
    [Range(1, 1024)]
    public int Threads { get; set; } = 2;

    /// <summary>Tangent directions k of the spectrum-step measurement; 0 skips it.</summary>
    [Range(0, 65_536)]
    public int SpectrumDirections { get; set; } = 16;

    /// <summary>Tokens read before the spectrum's timed steps.</summary>
    [Range(1, 1_000_000)]
    public int SpectrumPromptTokens { get; set; } = 96;

    /// <summary>Timed spectrum steps per run.</summary>
    [Range(1, 1_000_000)]
    public int SpectrumSteps { get; set; } = 48;

    /// <summary>Peak memory bandwidth of the device, bytes/s (default: H100 SXM, HBM3, 3.35 TB/s).</summary>
    [Range(1e6, 1e15)]
    public double PeakBandwidth { get; set; } = 3.35e12;

    /// <summary>Peak dense matmul FLOP/s in the dtype (default: H100 SXM bf16 dense, 989 TFLOP/s).</summary>
    [Range(1e6, 1e18)]
    public double PeakFlops { get; set; } = 989e12;

    /// <summary>The baseline JSON of scripts/gpu/hf_eager_bench.py; empty, or a path that does not exist, reports it absent.</summary>
    public string Baseline { get; set; } = "";

    /// <summary>Target: ours / PyTorch eager tokens/s at least this (parity).</summary>
    [Range(0.0, 1e9)]
    public double TargetRatio { get; set; } = 1.0;

    /// <summary>Target: a spectrum step costs at most this many plain decoding steps.</summary>
    [Range(0.0, 1e9)]
    public double TargetSpectrumRatio { get; set; } = 4.0;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths)
    {
        if (Torch.Generation.ModelOptions.DeviceProblem(Device) is { } device)
            return ("device", device); // before any model is built
        if (Dim % Heads != 0)
            return ("dim", string.Create(CultureInfo.InvariantCulture, $"{Dim} is not a multiple of heads = {Heads}"));
        if (Heads % KvHeads != 0)
            return ("kvHeads", string.Create(CultureInfo.InvariantCulture, $"heads = {Heads} is not a multiple of {KvHeads}"));
        if (PromptTokens + NewTokens > Context)
            return (
                "newTokens",
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"promptTokens + newTokens = {PromptTokens + NewTokens} exceeds context = {Context}"
                )
            );
        if (PrefillTokens > Context)
            return ("prefillTokens", string.Create(CultureInfo.InvariantCulture, $"{PrefillTokens} exceeds context = {Context}"));
        if (SpectrumDirections > 0 && SpectrumPromptTokens + SpectrumSteps + 1 > Context)
            return (
                "spectrumSteps",
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"spectrumPromptTokens + spectrumSteps + 1 = {SpectrumPromptTokens + SpectrumSteps + 1} exceeds context = {Context}"
                )
            );
        if (SpectrumDirections > Dim)
            return ("spectrumDirections", string.Create(CultureInfo.InvariantCulture, $"{SpectrumDirections} exceeds dim = {Dim}"));
        if (Batches.Any(b => b < 1))
            return ("batches", "every batch size must be at least 1");
        if (Baseline.Length > 0 && File.Exists(Baseline))
        {
            try
            {
                PyTorchBaseline.Load(Baseline);
            }
            catch (FormatException e)
            {
                return ("baseline", e.Message);
            }
        }
        return null;
    }

    /// <summary>The keys the baseline script reads, with this run's values, to compare with the baseline's config.</summary>
    public IReadOnlyDictionary<string, double> ComparedKeys() =>
        new Dictionary<string, double>(StringComparer.Ordinal)
        {
            ["dim"] = Dim,
            ["layers"] = Layers,
            ["heads"] = Heads,
            ["kvHeads"] = KvHeads,
            ["hidden"] = Hidden,
            ["vocab"] = Vocab,
            ["context"] = Context,
            ["tied"] = Tied ? 1 : 0,
            ["promptTokens"] = PromptTokens,
            ["newTokens"] = NewTokens,
            ["prefillTokens"] = PrefillTokens,
        };
}

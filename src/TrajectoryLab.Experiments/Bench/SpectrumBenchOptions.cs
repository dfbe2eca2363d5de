// Options of bench-spectrum: the model and where it runs, the tangent directions k timed, the text's prompt and timed
// steps, repeats and threads, the perturbation (layer, ε), the QR interval of the amortised figure, and the issue's
// target (k = 16 costs at most 3× one decoding step with QR every step, the propagation alone at most 2×).
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Torch.Bench;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>Options of <c>bench-spectrum</c>.</summary>
public sealed class SpectrumBenchOptions : ExperimentOptions, IPreflight
{
    /// <summary>"default" (models/brown-small), a Hugging Face folder, a .safetensors file with config.json beside it, or a
    /// llama2.c .bin.</summary>
    [Required]
    public string Model { get; set; } = ModelLocator.Default;

    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    [Required]
    public string Device { get; set; } = "cpu";

    /// <summary>"float32", "bfloat16" or "float16".</summary>
    [Required]
    public string DType { get; set; } = "float32";

    /// <summary>Tangent directions k measured (each 1 … model width).</summary>
    [MinLength(1), EachInRange(1, 4096)]
    public int[] Directions { get; set; } = [1, 4, 16, 64];

    /// <summary>Tokens read before the timed steps (not timed); the perturbation lands at position
    /// <see cref="SpectrumBenchmark.PerturbedPosition"/> (or the last of them, if fewer).</summary>
    [Range(1, 100_000)]
    public int PromptTokens { get; set; } = 96;

    /// <summary>Timed steps per run, at positions PromptTokens … PromptTokens + Steps − 1.</summary>
    [Range(1, 100_000)]
    public int Steps { get; set; } = 48;

    /// <summary>Timed runs per figure; the best counts (the machine is noisy).</summary>
    [Range(1, 100)]
    public int Repeats { get; set; } = 3;

    /// <summary>libtorch intra-op threads.</summary>
    [Range(1, 1024)]
    public int Threads { get; set; } = 2;

    /// <summary>Residual site perturbed (h after this many blocks).</summary>
    [Range(0, 10_000)]
    public int Layer { get; set; }

    /// <summary>Perturbation size relative to ||h||.</summary>
    [Range(1e-12, 1.0)]
    public double Epsilon { get; set; } = 1e-3;

    /// <summary>Steps between QR re-orthonormalisations for the amortised figure (LyapunovSpectrumOptions.QrInterval): a
    /// spectrum step then costs Step() + Reorthonormalise()/qrInterval on average.</summary>
    [Range(1, 10_000)]
    public int QrInterval { get; set; } = 4;

    /// <summary>The k the target is stated for.</summary>
    [Range(1, 100_000)]
    public int TargetDirections { get; set; } = 16;

    /// <summary>The target: a spectrum step with <see cref="TargetDirections"/> directions costs at most this many plain
    /// decoding steps.</summary>
    [Range(0.0, 1e9)]
    public double TargetRatio { get; set; } = 3;

    /// <summary>The target for the propagation alone (Step: the 1 + k-row forward): at most this many plain decoding
    /// steps.</summary>
    [Range(0.1, 1000)]
    public double TargetPropagationRatio { get; set; } = 2;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths) =>
        ModelPreflight.Check(Model, null, paths, out var model) is { } problem ? ("model", problem.Message)
        : AttentionRequirement.Problem(model!.Spec, "bench-spectrum", "the cost of re-combining a key–value cache") is { } attention
            ? ("model", attention)
        : ModelOptions.DeviceProblem(Device) is { } device ? ("device", device)
        : null;
}

// Options of rank-collapse-depth: the depths, width, heads, MLP width and vocabulary of the random-init Llama-style models,
// the seeds, the init std and the length of the random token sequences they read.
// References: Dong, Cordonnier & Loukas (2021), "Attention is not all you need: pure attention loses rank doubly
// exponentially with depth", ICML (arXiv:2103.03404); Noci et al. (2022), "Signal propagation in transformers: theoretical
// perspectives and the role of rank collapse", NeurIPS (arXiv:2206.03126).
using System.ComponentModel.DataAnnotations;

namespace TrajectoryLab.Experiments.RankCollapseDepth;

/// <summary>Options of <c>rank-collapse-depth</c>.</summary>
public sealed class RankCollapseDepthOptions : ExperimentOptions, IValidatableObject
{
    /// <summary>Model depths L (blocks), each measured at its top residual; the largest also layer by layer.</summary>
    [MinLength(2), EachInRange(1, 256)]
    public int[] Depths { get; set; } = [1, 2, 4, 8, 16, 32, 48];

    /// <summary>Random models (and token sequences) per depth and layout: seeds seed, seed + 1, ….</summary>
    [Range(1, 100)]
    public int Seeds { get; set; } = 3;

    /// <summary>d_model.</summary>
    [Range(8, 4096)]
    public int DModel { get; set; } = 128;

    /// <summary>Attention heads (d_head = dModel / heads).</summary>
    [Range(1, 64)]
    public int Heads { get; set; } = 4;

    /// <summary>d_mlp of the SwiGLU.</summary>
    [Range(1, 16384)]
    public int Mlp { get; set; } = 512;

    /// <summary>Vocabulary size; the token ids are drawn uniformly from it.</summary>
    [Range(2, 1_000_000)]
    public int Vocab { get; set; } = 512;

    /// <summary>Tokens n per sequence (rows of X).</summary>
    [Range(4, 4096)]
    public int Tokens { get; set; } = 48;

    /// <summary>Standard deviation of the N(0, std²) initial weights (norm weights 1).</summary>
    [Range(1e-6, 10.0)]
    public double Std { get; set; } = 0.02;

    /// <summary>Residual below which a reading counts as float32 round-off and is left out of the rate fit.</summary>
    [Range(0.0, 0.5)]
    public double FitFloor { get; set; } = 1e-5;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (Heads > 0 && DModel % Heads != 0)
            yield return new ValidationResult($"dModel ({DModel}) must be a multiple of heads ({Heads})", ["DModel"]);
        if (Heads > 0 && DModel / Heads % 2 != 0)
            yield return new ValidationResult($"dModel / heads ({DModel / Math.Max(Heads, 1)}) must be even (rotary)", ["Heads"]);
        if (Depths.Distinct().Count() != Depths.Length)
            yield return new ValidationResult("depths must be distinct", ["Depths"]);
    }
}

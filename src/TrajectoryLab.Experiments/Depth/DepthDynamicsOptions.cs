// Options of the depth-dynamics experiment: which models and texts, how many tangent directions, and how they are mapped
// through each layer. References: Benettin et al. (1980), Meccanica 15:9 (QR growth rates);
// Dong, Cordonnier, Loukas (2021), arXiv:2103.03404 (rank collapse along depth).
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments;
using TrajectoryLab.Torch.Dynamics;

namespace TrajectoryLab.Experiments.Depth;

/// <summary>Options of <c>depth-dynamics</c>.</summary>
public sealed class DepthDynamicsOptions : ExperimentOptions, IPreflight
{
    /// <summary>The trained model and whether its random-init twin is measured too.</summary>
    [Required]
    public ModelChoice Model { get; set; } = new();

    /// <summary>The texts read (inline, or validation documents of a corpus).</summary>
    [Required]
    public TextChoice Text { get; set; } = new();

    /// <summary>Tangent directions k per position.</summary>
    [Range(1, 4096)]
    public int Directions { get; set; } = 4;

    /// <summary>Finite-difference step relative to ||h_l|| (finiteDifference only).</summary>
    [Range(1e-12, 1.0)]
    public double Epsilon { get; set; } = 1e-3;

    /// <summary>"finiteDifference" (batched, fast) or "doubleVjp" (exact Jacobian-vector products, cost grows with the position).</summary>
    public TangentMethod Method { get; set; } = TangentMethod.FiniteDifference;

    /// <summary>Bootstrap resamples of the entropy–exponent correlation.</summary>
    [Range(1, 100_000)]
    public int BootstrapResamples { get; set; } = 1000;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths) => Model.Check(paths, out var model) ?? Text.Check(model!);
}

// Options of lyapunov-teacher-forced: which model (and its random-init twin) and texts, the perturbed layers, the tangent
// directions, ε and its sweep, the prompt, transient and QR interval of the spectrum, and the FTLE window.
// References: Benettin et al. (1980), Meccanica 15:9; Grassberger, Badii, Politi (1988), J. Stat. Phys. 51:135 (FTLE).
using System.ComponentModel.DataAnnotations;

namespace TrajectoryLab.Experiments.LyapunovTeacherForced;

/// <summary>Options of <c>lyapunov-teacher-forced</c>.</summary>
public sealed class LyapunovTeacherForcedOptions : ExperimentOptions, IPreflight
{
    /// <summary>The model and its random-init twin.</summary>
    public ModelChoice Model { get; set; } = new();

    /// <summary>The texts read (teacher-forced).</summary>
    public TextChoice Text { get; set; } = new();

    /// <summary>Residual sites perturbed (h after this many blocks); observed at the top.</summary>
    [MinLength(1), EachInRange(0, 10_000)]
    public int[] Layers { get; set; } = [0, 2, 4];

    /// <summary>Tangent directions k (exponents measured).</summary>
    [Range(1, 4096)]
    public int Directions { get; set; } = 16;

    /// <summary>Perturbation size relative to ||h||.</summary>
    [Range(1e-12, 1.0)]
    public double Epsilon { get; set; } = 1e-3;

    /// <summary>Tokens read before the perturbation lands (on the last of them).</summary>
    [Range(1, 100_000)]
    public int PromptLength { get; set; } = 8;

    /// <summary>Steps re-orthonormalised but not counted, so the frame aligns with the growing directions.</summary>
    [Range(0, 100_000)]
    public int Transient { get; set; } = 16;

    /// <summary>Steps between QR re-orthonormalisations of the spectrum (1 = every step; larger is cheaper while the
    /// tangents stay in the linear regime over the interval).</summary>
    [Range(1, 10_000)]
    public int QrInterval { get; set; } = 1;

    /// <summary>Steps per window of the finite-time exponent distribution.</summary>
    [Range(1, 10_000)]
    public int FtleWindow { get; set; } = 8;

    /// <summary>Read each model's own greedy continuation of the text's first promptLength tokens (a trajectory the
    /// model generated) instead of the text itself.</summary>
    public bool SelfGenerated { get; set; }

    /// <summary>ε values of the sweep (two-trajectory λ1 at the first layer of <see cref="Layers"/>, trained model).</summary>
    [EachInRange(1e-12, 1.0)]
    public double[] EpsilonSweep { get; set; } = [1e-6, 1e-5, 1e-4, 1e-3, 1e-2, 1e-1, 3e-1];

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths) => Model.Check(paths, out var model) ?? Text.Check(model!);
}

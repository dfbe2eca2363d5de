// What lyapunov-teacher-forced measured: per (model, perturbed layer, text) the tangent spectrum and the two-trajectory λ1
// of the teacher-forced map (Core's LyapunovSpectrum and MaximalExponent results as they came back), the entropy of the
// reference's next-token distributions, and the two-trajectory λ1 over the ε sweep. Finite-time exponents, the
// entropy–exponent correlation and every mean are computed from these when the report is rendered.
// References: Benettin et al. (1980), Meccanica 15:9; docs/dynamics.md.
using TrajectoryLab.Core.Lyapunov;

namespace TrajectoryLab.Experiments.LyapunovTeacherForced;

/// <summary>The spectra, λ1 cross-checks and ε sweep of one run.</summary>
/// <param name="Model">The trained model (its architecture is the random twin's too).</param>
/// <param name="Models">Model labels in measurement order: "trained", then "random init" when compared.</param>
/// <param name="Texts">Names of the texts read (those long enough for promptLength + transient + 1 tokens).</param>
/// <param name="Cells">One per (model, layer, text), models outermost, then layers, then texts.</param>
/// <param name="Sweep">Two-trajectory λ1 of the trained model at the first layer on the first text, per ε of the sweep.</param>
public sealed record LyapunovTeacherForcedResult(
    ModelFacts Model,
    string[] Models,
    string[] Texts,
    IReadOnlyList<TeacherForcedCell> Cells,
    IReadOnlyList<EpsilonPoint> Sweep
);

/// <summary>One (model, layer, text) measurement.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Layer">Residual site perturbed (h after this many blocks).</param>
/// <param name="Text">The text's name (with the model's label when it read its own greedy continuation).</param>
/// <param name="Spectrum">k exponents (per token, natural log) by QR of the tangents; local exponents [k][intervals].</param>
/// <param name="Pair">λ1 by Benettin's renormalised pair along the same first direction.</param>
/// <param name="EntropyNats">[steps] entropy (nats) of the reference's distribution that predicted each token read.</param>
public sealed record TeacherForcedCell(
    string Model,
    int Layer,
    string Text,
    LyapunovSpectrumResult Spectrum,
    MaximalExponentResult Pair,
    double[] EntropyNats
);

/// <summary>One point of the ε sweep.</summary>
/// <param name="Epsilon">Perturbation size relative to ||h||.</param>
/// <param name="Lambda1">Two-trajectory λ1 (per token); NaN on breakdown.</param>
public sealed record EpsilonPoint(double Epsilon, double Lambda1);

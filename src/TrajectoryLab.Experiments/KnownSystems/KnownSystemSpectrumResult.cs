// What known-system-spectrum measured: the QR spectrum and the two-trajectory λ1 of one system, with the system's own
// facts (literature exponents, exact volume rate, description, projection) and the orbit drawn in the portrait.
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;

namespace TrajectoryLab.Experiments.KnownSystems;

/// <summary>The measured spectrum of a known system.</summary>
/// <param name="Description">The system and its parameters.</param>
/// <param name="Dimension">Its state dimension.</param>
/// <param name="TimeStep">Time per step (1 for maps, Δt for a sampled flow).</param>
/// <param name="Literature">Its literature exponents at these parameters, or null.</param>
/// <param name="VolumeRate">Σλ exactly, per unit time, or NaN where not constant.</param>
/// <param name="Spectrum">Tangent + QR: the k exponents, convergence, local exponents, breakdown.</param>
/// <param name="TwoTrajectory">Benettin's two-trajectory λ1.</param>
/// <param name="Projection">How the orbit is drawn.</param>
/// <param name="PortraitX">[points] horizontal coordinates of the orbit after the transient.</param>
/// <param name="PortraitY">[points] vertical coordinates.</param>
public sealed record KnownSystemSpectrumResult(
    string Description,
    int Dimension,
    double TimeStep,
    KnownExponents? Literature,
    double VolumeRate,
    LyapunovSpectrumResult Spectrum,
    MaximalExponentResult TwoTrajectory,
    Projection Projection,
    double[] PortraitX,
    double[] PortraitY
);

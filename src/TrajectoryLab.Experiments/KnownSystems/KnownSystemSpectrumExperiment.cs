// known-system-spectrum: the Lyapunov spectrum of a system whose exponents are published (Hénon, Lorenz, logistic),
// by tangent propagation + QR and by the two-trajectory method, against the literature the system carries. This
// validates the Lyapunov code that later measures transformers. The measurement steps the system; the report
// (KnownSystemSpectrumReport) compares, plots and derives the finite-time exponents and the Kaplan–Yorke dimension.
// References: Benettin et al. (1980), Meccanica 15:9; Sprott (2003), Appendix A; Kaplan & Yorke (1979).
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Lyapunov;

namespace TrajectoryLab.Experiments.KnownSystems;

/// <summary>Measures the spectrum of a known system.</summary>
public sealed class KnownSystemSpectrumExperiment : Experiment<KnownSystemSpectrumOptions, KnownSystemSpectrumResult>
{
    /// <inheritdoc/>
    public override string Kind => "known-system-spectrum";

    /// <inheritdoc/>
    public override KnownSystemSpectrumResult Measure(KnownSystemSpectrumOptions o, IMeasureContext run)
    {
        var system = KnownSystemCatalogue.Create(o);
        var k = o.Spectrum.K == 0 ? system.Dimension : o.Spectrum.K;
        var spectrum = run.Phase("spectrum", () =>
        {
            using var progress = run.Progress("QR spectrum", (long)o.Spectrum.Transient + o.Spectrum.Steps);
            var tangents = Observed.Tangents(new TangentBundle(system, k, o.Seed), progress, run.Cancellation);
            return LyapunovSpectrum.Compute(
                tangents,
                new LyapunovSpectrumOptions(o.Spectrum.Transient, o.Spectrum.Steps, o.Spectrum.QrInterval)
            );
        });
        var twoTrajectory = run.Phase("two-trajectory", () =>
        {
            using var progress = run.Progress("two-trajectory λ1", (long)o.Spectrum.Transient + o.Spectrum.Steps);
            var pair = Observed.Pair(new StatePair(system, o.TwoTrajectory.Epsilon, o.Seed), progress, run.Cancellation);
            return MaximalExponent.Compute(
                pair,
                new MaximalExponentOptions(o.Spectrum.Transient, o.Spectrum.Steps, o.TwoTrajectory.RenormaliseEvery)
            );
        });
        var (x, y) = Orbit(system, o.Spectrum.Transient, o.PortraitPoints);
        return new KnownSystemSpectrumResult(
            system.Description,
            system.Dimension,
            system.TimeStep,
            system.Literature,
            system.VolumeRate,
            spectrum,
            twoTrajectory,
            system.Projection,
            x,
            y
        );
    }

    /// <inheritdoc/>
    public override void Report(KnownSystemSpectrumOptions o, KnownSystemSpectrumResult result, RunContext run) =>
        KnownSystemSpectrumReport.Render(o, result, run);

    /// <summary>The orbit of a fresh copy after <paramref name="transient"/> steps, projected as the system says.</summary>
    static (double[] X, double[] Y) Orbit(Core.Systems.IKnownSystem prototype, int transient, int points)
    {
        var system = prototype.Clone();
        for (var i = 0; i < transient; i++)
            system.Step();
        var (ix, iy) = (prototype.Projection.X, prototype.Projection.Y);
        var (x, y) = (new double[points], new double[points]);
        var previous = system.State[ix];
        for (var i = 0; i < points; i++)
        {
            system.Step();
            var s = system.State;
            x[i] = iy < 0 ? previous : s[ix];
            y[i] = iy < 0 ? s[ix] : s[iy];
            previous = s[ix];
        }
        return (x, y);
    }
}

// logistic-sweep: the bifurcation diagram of x → r x (1 − x) and its Lyapunov exponent λ(r) on one figure, as in
// every textbook (e.g. Strogatz, "Nonlinear Dynamics and Chaos", fig. 10.5.2; Sprott 2003, fig. 1.5). λ(r) is
// measured by the same tangent + QR code as every other spectrum (k = 1) and checked (LogisticSweepReport) against
// the analytic values the map states and against the onset of chaos r∞ = 3.5699456 (Feigenbaum 1978).
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;

namespace TrajectoryLab.Experiments.LogisticSweep;

/// <summary>Sweeps r, recording the attractor and λ(r).</summary>
public sealed class LogisticSweepExperiment : Experiment<LogisticSweepOptions, LogisticSweepResult>
{
    /// <inheritdoc/>
    public override string Kind => "logistic-sweep";

    /// <summary>The r values where the map's exponent is known analytically and checked.</summary>
    public static readonly double[] CheckedR = [2.5, 3.2, 4.0];

    /// <inheritdoc/>
    public override LogisticSweepResult Measure(LogisticSweepOptions o, IMeasureContext run)
    {
        var r = Enumerable.Range(0, o.RCount).Select(i => o.RMin + (o.RMax - o.RMin) * i / (o.RCount - 1)).ToArray(); // [rCount]
        var lambda = new double[o.RCount]; // [rCount]
        var attractor = new double[o.RCount][]; // [rCount][points]
        var breakdowns = 0;
        run.Phase("sweep", () =>
        {
            using var progress = run.Progress("r sweep", o.RCount);
            for (var i = 0; i < o.RCount; i++)
            {
                run.Cancellation.ThrowIfCancellationRequested();
                var (l, broke) = Exponent(r[i], o);
                lambda[i] = l;
                if (broke)
                    breakdowns++;
                var map = new LogisticMap(r[i], o.X0);
                for (var n = 0; n < o.Transient; n++)
                    map.Step();
                attractor[i] = new double[o.Points];
                for (var n = 0; n < o.Points; n++)
                {
                    map.Step();
                    attractor[i][n] = map.State[0];
                }
                progress.Advance();
            }
        });
        var checks = CheckedR.Where(rc => rc >= o.RMin && rc <= o.RMax).Select(rc => new ExponentAt(rc, Exponent(rc, o).Lambda)).ToList();
        return new LogisticSweepResult(r, lambda, breakdowns, attractor, checks);
    }

    /// <inheritdoc/>
    public override void Report(LogisticSweepOptions o, LogisticSweepResult result, RunContext run) =>
        LogisticSweepReport.Render(o, result, run);

    /// <summary>λ(r) from the tangent + QR spectrum with k = 1; a superstable orbit (growth exactly 0) is a breakdown, λ = NaN.</summary>
    static (double Lambda, bool Breakdown) Exponent(double r, LogisticSweepOptions o)
    {
        var steps = o.Steps / o.QrInterval * o.QrInterval;
        var result = LyapunovSpectrum.Compute(
            new TangentBundle(new LogisticMap(r, o.X0), 1, o.Seed),
            new LyapunovSpectrumOptions(o.Transient, Math.Max(steps, o.QrInterval), o.QrInterval, MaxCheckpoints: 1)
        );
        return (result.Exponents[0], result.Breakdown is not null);
    }
}

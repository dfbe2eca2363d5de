// logistic-sweep: the bifurcation diagram of x → r x (1 − x) and its Lyapunov exponent λ(r) on one figure,
// as in every textbook (e.g. Strogatz, "Nonlinear Dynamics and Chaos", fig. 10.5.2; Sprott 2003, fig. 1.5).
// λ(r) is measured by the same tangent + QR code as every other spectrum (k = 1), and checked against the
// analytic values at r = 2.5, 3.2 and 4 and against the onset of chaos r∞ = 3.5699456 (Feigenbaum 1978).
using System.Globalization;
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Experiments.KnownSystems;

/// <summary>Sweeps r, recording the attractor (bifurcation diagram) and λ(r).</summary>
public sealed class LogisticSweepExperiment : Experiment<LogisticSweepOptions>
{
    /// <summary>Accumulation point of the period-doubling cascade (Feigenbaum 1978; Briggs 1991).</summary>
    public const double OnsetOfChaos = 3.5699456718695445;

    public override string Kind => "logistic-sweep";

    protected override void Run(LogisticSweepOptions o, RunContext run)
    {
        var r = Enumerable.Range(0, o.RCount).Select(i => o.RMin + (o.RMax - o.RMin) * i / (o.RCount - 1)).ToArray(); // (RCount,)
        var lambda = new double[o.RCount];                 // (RCount,)
        var points = new double[o.RCount * o.Points];      // (RCount · Points,) attractor samples, r-major
        var breakdowns = 0;

        run.Phase("sweep", () =>
        {
            using var progress = run.Progress("r sweep", o.RCount);
            for (int i = 0; i < o.RCount; i++)
            {
                run.Cancellation.ThrowIfCancellationRequested();
                var (l, broke) = Exponent(r[i], o);
                lambda[i] = l;
                if (broke) breakdowns++;
                var map = new LogisticMap(r[i], o.X0);
                for (int n = 0; n < o.Transient; n++) map.Step();
                for (int n = 0; n < o.Points; n++)
                {
                    map.Step();
                    points[i * o.Points + n] = map.State[0];
                }
                progress.Advance();
            }
        });

        run.Table("lambda", ["r", "lambda"], r.Select((v, i) => new object[] { v, lambda[i] }));

        // Checks at the analytic points and the onset of chaos.
        var checks = new List<Comparison>();
        foreach (var rc in new[] { 2.5, 3.2, 4.0 })
        {
            if (rc < o.RMin || rc > o.RMax) continue;
            var reference = LiteratureExponents.Logistic(rc)!;
            checks.Add(new Comparison($"λ(r = {rc.ToString(CultureInfo.InvariantCulture)}) — {reference.Source}", Exponent(rc, o).Lambda, reference.Exponents[0], reference.Tolerances[0]));
        }
        var onset = FirstChaoticR(r, lambda);
        var gridStep = (o.RMax - o.RMin) / (o.RCount - 1);
        if (OnsetOfChaos > o.RMin && OnsetOfChaos < o.RMax)
            checks.Add(new Comparison("onset of chaos: first r with λ(r) > 0 (Feigenbaum r∞), within 2 grid steps", onset, OnsetOfChaos, 2 * gridStep));
        run.Headline($"λ({o.RMax.ToString(CultureInfo.InvariantCulture)})", lambda[^1], "breakdown: the tangent at the last r collapsed or overflowed");
        run.Headline("first chaotic r", onset, "not measured: no r in the range has λ(r) > 0");
        run.Headline("checks passed", $"{checks.Count(c => c.Pass)}/{checks.Count}");

        var report = run.Report;
        report.Lead(string.Create(CultureInfo.InvariantCulture,
            $"Logistic map x → r x (1 − x) for {o.RCount} values of r in [{o.RMin}, {o.RMax}]: after {o.Transient} transient iterations, " +
            $"{o.Points} iterates per r are drawn (the attractor), and λ(r) is averaged over {o.Steps} iterations by the tangent + QR code (k = 1)."));
        report.Section("Checks", "Analytic exponents where they are known, and the accumulation point of period doubling where λ first turns positive.");
        report.Checks(checks);
        report.Section("Bifurcation diagram and λ(r)", "Periodic windows show as gaps in the diagram and dips of λ below 0; chaos where λ > 0." +
                       (breakdowns > 0 ? $" {breakdowns} r values hit a superstable orbit (tangent growth exactly 0) and show λ = NaN." : ""));
        report.Figure(run.Figure(new Figure("bifurcation", "Logistic map: bifurcation diagram and Lyapunov exponent",
            new Axis("r") { Min = o.RMin, Max = o.RMax }, new Axis("x (attractor)") { Min = 0, Max = 1 })
        {
            Y2Axis = new Axis("λ(r) (nats/iteration)") { Min = -3, Max = 1 },
            Series =
            [
                new ScatterSeries("attractor x", r.SelectMany(v => Enumerable.Repeat(v, o.Points)).ToArray(), points) { Color = "#b0202020", MarkerSize = 0.6 },
                new LineSeries("λ(r)", r, lambda) { YAxis = "y2", Color = "#d62728" },
                new ReferenceLine("λ = 0", ReferenceOrientation.Horizontal, 0) { YAxis = "y2", Color = "#d62728" },
                new ReferenceLine("r∞ = 3.56995", ReferenceOrientation.Vertical, OnsetOfChaos) { Color = "#2ca02c" },
            ],
            Legend = LegendPosition.BottomLeft,
            Width = 1100,
            Height = 640,
        }));
    }

    /// <summary>λ(r) from the tangent + QR spectrum with k = 1; a superstable orbit (growth exactly 0) is a breakdown, λ = NaN.</summary>
    static (double Lambda, bool Breakdown) Exponent(double r, LogisticSweepOptions o)
    {
        var steps = o.Steps / o.QrInterval * o.QrInterval;
        var result = LyapunovSpectrum.Compute(new TangentBundle(new LogisticMap(r, o.X0), 1, o.Seed),
            new LyapunovSpectrumOptions(o.Transient, Math.Max(steps, o.QrInterval), o.QrInterval, MaxCheckpoints: 1));
        return (result.Exponents[0], result.Breakdown is not null);
    }

    /// <summary>The first r of the grid with λ(r) > 0 (NaN if none): below r∞ every attractor is periodic (λ ≤ 0).</summary>
    static double FirstChaoticR(double[] r, double[] lambda)
    {
        int i = Array.FindIndex(lambda, l => l > 0);
        return i < 0 ? double.NaN : r[i];
    }
}

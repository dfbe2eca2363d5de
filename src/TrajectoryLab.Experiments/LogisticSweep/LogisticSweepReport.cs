// The report of logistic-sweep: λ(r) and the bifurcation diagram on one figure, checks against the analytic exponents
// (LogisticMap.Analytic) and against the onset of chaos r∞ (Feigenbaum 1978; Briggs 1991).
using System.Globalization;
using TrajectoryLab.Core.Systems;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Experiments.LogisticSweep;

/// <summary>λ at one r (a row of lambda.csv).</summary>
public sealed record LambdaRow(double R, double Lambda);

/// <summary>Renders a <see cref="LogisticSweepResult"/>.</summary>
public static class LogisticSweepReport
{
    /// <summary>Accumulation point of the period-doubling cascade (Feigenbaum 1978; Briggs 1991).</summary>
    public const double OnsetOfChaos = 3.5699456718695445;

    /// <summary>Writes the table, checks, figure and headlines of <paramref name="result"/>.</summary>
    public static void Render(LogisticSweepOptions o, LogisticSweepResult result, RunContext run)
    {
        var (r, lambda) = (result.R, result.Lambda);
        run.Table("lambda", r.Select((v, i) => new LambdaRow(v, lambda[i])));

        var checks = new List<Comparison>();
        foreach (var at in result.Checks)
        {
            var reference = LogisticMap.Analytic(at.R)!;
            checks.Add(
                new Comparison(
                    $"λ(r = {at.R.ToString(CultureInfo.InvariantCulture)}) — {reference.Source}",
                    at.Lambda,
                    reference.Exponents[0],
                    reference.Tolerances[0]
                )
            );
        }
        var first = Array.FindIndex(lambda, l => l > 0); // below r∞ every attractor is periodic (λ ≤ 0)
        var onset = first < 0 ? double.NaN : r[first];
        var gridStep = (o.RMax - o.RMin) / (o.RCount - 1);
        if (OnsetOfChaos > o.RMin && OnsetOfChaos < o.RMax)
            checks.Add(
                new Comparison(
                    "onset of chaos: first r with λ(r) > 0 (Feigenbaum r∞), within 2 grid steps",
                    onset,
                    OnsetOfChaos,
                    2 * gridStep
                )
            );
        run.Headline(
            $"λ({o.RMax.ToString(CultureInfo.InvariantCulture)})",
            lambda[^1],
            "breakdown: the tangent at the last r collapsed or overflowed"
        );
        run.Headline("first chaotic r", onset, "not measured: no r in the range has λ(r) > 0");
        run.Headline("checks passed", $"{checks.Count(c => c.Pass)}/{checks.Count}");

        var report = run.Report;
        report.Lead(
            string.Create(
                CultureInfo.InvariantCulture,
                $"Logistic map x → r x (1 − x) for {o.RCount} values of r in [{o.RMin}, {o.RMax}]: "
                    + $"after {o.Transient} transient iterations, "
                    + $"{o.Points} iterates per r are drawn (the attractor), "
                    + $"and λ(r) is averaged over {o.Steps} iterations by the tangent + QR code (k = 1)."
            )
        );
        report.Section(
            "Checks",
            "Analytic exponents where they are known, and the accumulation point of period doubling where λ first turns positive."
        );
        report.Checks(checks);
        report.Section(
            "Bifurcation diagram and λ(r)",
            "Periodic windows show as gaps in the diagram and dips of λ below 0; chaos where λ > 0."
                + (
                    result.Breakdowns > 0
                        ? $" {result.Breakdowns} r values hit a superstable orbit (tangent growth exactly 0) and show λ = NaN."
                        : ""
                )
        );
        report.Figure(
            run.Figure(
                new Figure(
                    "bifurcation",
                    "Logistic map: bifurcation diagram and Lyapunov exponent",
                    new Axis("r") { Min = o.RMin, Max = o.RMax },
                    new Axis("x (attractor)") { Min = 0, Max = 1 }
                )
                {
                    Y2Axis = new Axis("λ(r) (nats/iteration)") { Min = -3, Max = 1 },
                    Series =
                    [
                        new ScatterSeries(
                            "attractor x",
                            [.. r.SelectMany((v, i) => Enumerable.Repeat(v, result.Attractor[i].Length))],
                            [.. result.Attractor.SelectMany(a => a)]
                        )
                        {
                            Color = "#b0202020",
                            MarkerSize = 0.6,
                        },
                        new LineSeries("λ(r)", r, lambda) { YAxis = "y2", Color = "#d62728" },
                        new ReferenceLine("λ = 0", ReferenceOrientation.Horizontal, 0) { YAxis = "y2", Color = "#d62728" },
                        new ReferenceLine("r∞ = 3.56995", ReferenceOrientation.Vertical, OnsetOfChaos) { Color = "#2ca02c" },
                    ],
                    Legend = LegendPosition.BottomLeft,
                    Width = 1100,
                    Height = 640,
                }
            )
        );
    }
}

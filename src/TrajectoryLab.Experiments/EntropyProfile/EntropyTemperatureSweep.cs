// The temperature sweep of entropy-profile: H(T) of real next-token logits at the lowest-, median- and highest-entropy
// positions of the first text (the logits saved by the measurement), and dH/dT = Var_p(z)/T³ (EntropyDerivatives)
// against a central finite difference.
// References: Jaynes (1957), Phys. Rev. 106:620 (the softmax as a Gibbs distribution, dS/dT = Var(E)/T³ at β = 1/T);
// docs/science.md (entropy identities).
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.EntropyProfile;

/// <summary>H and dH/dT at one temperature and position (a row of temperature-sweep.csv).</summary>
/// <param name="PredictedPosition">Position of the predicted token in the first text.</param>
/// <param name="Temperature">T.</param>
/// <param name="EntropyNats">H(T).</param>
/// <param name="DhDtAnalytic">Var_p(z)/T³.</param>
/// <param name="DhDtFiniteDifference">(H(T(1+h)) − H(T(1−h))) / (2hT).</param>
public sealed record TemperatureSweepRow(
    int PredictedPosition,
    double Temperature,
    double EntropyNats,
    [property: Column("dH_dT_analytic")] double DhDtAnalytic,
    [property: Column("dH_dT_finite_difference")] double DhDtFiniteDifference
);

/// <summary>Writes the H(T) sweep and the derivative check.</summary>
public static class EntropyTemperatureSweep
{
    /// <summary>The positions swept: the lowest-, median- and highest-entropy ones among the finite entries of
    /// <paramref name="entropy"/> (distinct, in that order; none when no entry is finite).</summary>
    /// <param name="entropy">[predicted] H of the first text's next-token distributions.</param>
    public static int[] Positions(double[] entropy)
    {
        var order = Enumerable.Range(0, entropy.Length).Where(i => double.IsFinite(entropy[i])).OrderBy(i => entropy[i]).ToArray();
        return order.Length == 0 ? [] : [.. new[] { order[0], order[order.Length / 2], order[^1] }.Distinct()];
    }

    /// <summary>Sweeps T over the saved logits of the trained model's first text and writes table, figures and checks.</summary>
    /// <param name="run">The run.</param>
    /// <param name="o">The options (sweep range, step).</param>
    /// <param name="measured">What was measured (the sweep uses the trained model's saved logits).</param>
    public static void Write(RunContext run, EntropyProfileOptions o, EntropyProfileResult measured)
    {
        var s = o.Sweep;
        var result = measured.Models[0];
        var entropy = result.Read[0].Entropy;
        if (measured.Swept.Count == 0)
            return;
        var temperatures = Enumerable.Range(0, s.Count).Select(k => s.Min * Math.Pow(s.Max / s.Min, k / (double)(s.Count - 1))).ToArray();
        double H(ReadOnlySpan<double> z, double t) => TokenEntropy.OfLogits(z, new EntropyOptions(t)).Entropy;

        var rows = new List<TemperatureSweepRow>();
        var curves = new List<FigureSeries>();
        var derivative = new List<FigureSeries>();
        var checks = new List<Comparison>();
        var worst = 0.0;
        for (var c = 0; c < measured.Swept.Count; c++)
        {
            var chosen = measured.Swept[c].Index;
            var z = measured.Swept[c].Logits; // [d_vocab]: the distribution that predicted token chosen + 1
            var h = temperatures.Select(t => H(z, t)).ToArray();
            var analytic = temperatures.Select(t => EntropyDerivatives.WithRespectToTemperature(z, t)).ToArray();
            var finite = temperatures.Select(t => (H(z, t * (1 + s.Step)) - H(z, t * (1 - s.Step))) / (2 * s.Step * t)).ToArray();
            for (var k = 0; k < temperatures.Length; k++)
            {
                rows.Add(new(chosen + 1, temperatures[k], h[k], analytic[k], finite[k]));
                worst = Math.Max(worst, Math.Abs(analytic[k] - finite[k]) / Math.Max(1e-6, Math.Abs(analytic[k])));
            }
            var label = $"position {F(chosen + 1)} (H(1) = {F(entropy[chosen], "F2")})";
            curves.Add(new LineSeries(label, temperatures, h) { Color = Palette[c] });
            derivative.Add(new LineSeries($"{label}, Var(z)/T³", temperatures, analytic) { Color = Palette[c] });
            derivative.Add(new ScatterSeries($"{label}, finite difference", temperatures, finite) { Color = Palette[c], MarkerSize = 3 });
            foreach (var t in new[] { 0.5, 1.0, 2.0 })
            {
                var reference = EntropyDerivatives.WithRespectToTemperature(z, t);
                checks.Add(
                    new Comparison(
                        $"{label}, T = {F(t)}",
                        (H(z, t * (1 + s.Step)) - H(z, t * (1 - s.Step))) / (2 * s.Step * t),
                        reference,
                        1e-4 * Math.Max(1, Math.Abs(reference))
                    )
                );
            }
        }
        run.Table("temperature-sweep", rows);
        run.Headline(
            "max relative error dH/dT analytic vs finite difference",
            worst,
            "not measured: dH/dT is 0 at every temperature (no relative error defined)"
        );

        var report = run.Report;
        report.Section(
            "Entropy against temperature",
            $"H(T) of the {result.Label} model's logits at the lowest-, median- and highest-entropy "
                + $"positions of {result.Read[0].Name}, {F(s.Count)} temperatures log-spaced over [{F(s.Min)}, {F(s.Max)}]. "
                + $"H rises monotonically to ln|V| = {F(Math.Log(measured.Model.Vocabulary), "F3")} nats; "
                + $"its slope Var_p(z)/T³ (analytic) is checked against (H(T(1+h)) − H(T(1−h)))/(2hT) with h = {F(s.Step)}: "
                + $"the largest relative difference over the sweep is {F(worst, "G3")} (relative to max(|dH/dT|, 1e-6))."
        );
        report.Figure(
            run.Figure(
                new Figure("entropy-vs-temperature", "H(T) on real logits", new Axis("T") { Log = true }, new Axis("H (nats)") { Min = 0 })
                {
                    Series = curves,
                    Legend = LegendPosition.BottomRight,
                }
            )
        );
        report.Figure(
            run.Figure(
                new Figure(
                    "dH-dT",
                    "dH/dT: Var(z)/T³ (lines) against finite differences (points)",
                    new Axis("T") { Log = true },
                    new Axis("dH/dT (nats per unit T)") { Min = 0 }
                )
                {
                    Series = derivative,
                }
            )
        );
        report.Checks(checks, "finite difference (measured) against Var(z)/T³ (reference)");
    }
}

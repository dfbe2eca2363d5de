// The temperature sweep of entropy-profile: H(T) of real next-token logits at the lowest-, median- and highest-entropy
// positions of the first text, and dH/dT = Var_p(z)/T³ (EntropyDerivatives) against a central finite difference.
// References: Jaynes (1957), Phys. Rev. 106:620 (the softmax as a Gibbs distribution, dS/dT = Var(E)/T³ at β = 1/T);
// docs/science.md (entropy identities).
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.DynamicsText;

namespace TrajectoryLab.Experiments.EntropyProfile;

/// <summary>Writes the H(T) sweep and the derivative check.</summary>
public static class EntropyTemperatureSweep
{
    /// <summary>Sweeps T over the positions of <paramref name="result"/>'s first text and writes table, figures and checks.</summary>
    /// <param name="run">The run.</param>
    /// <param name="o">The options (sweep range, step).</param>
    /// <param name="result">The model whose logits are swept (the trained one).</param>
    public static void Write(RunContext run, EntropyProfileOptions o, EntropyProfileResult result)
    {
        var s = o.Sweep;
        var entropy = result.Read[0].Entropy;
        var order = Enumerable.Range(0, entropy.Length).Where(i => double.IsFinite(entropy[i])).OrderBy(i => entropy[i]).ToArray();
        if (order.Length == 0) return;
        var chosen = new[] { order[0], order[order.Length / 2], order[^1] }.Distinct().ToArray();
        var temperatures = Enumerable.Range(0, s.Count).Select(k => s.Min * Math.Pow(s.Max / s.Min, k / (double)(s.Count - 1))).ToArray();
        double H(ReadOnlySpan<double> z, double t) => TokenEntropy.OfLogits(z, new EntropyOptions(t)).Entropy;

        var rows = new List<object[]>();
        var curves = new List<FigureSeries>();
        var derivative = new List<FigureSeries>();
        var checks = new List<Comparison>();
        var worst = 0.0;
        for (var c = 0; c < chosen.Length; c++)
        {
            var z = result.FirstLogits.Row(chosen[c]).ToArray(); // [d_vocab]: the distribution that predicted token chosen[c] + 1
            var h = temperatures.Select(t => H(z, t)).ToArray();
            var analytic = temperatures.Select(t => EntropyDerivatives.WithRespectToTemperature(z, t)).ToArray();
            var finite = temperatures.Select(t => (H(z, t * (1 + s.Step)) - H(z, t * (1 - s.Step))) / (2 * s.Step * t)).ToArray();
            for (var k = 0; k < temperatures.Length; k++)
            {
                rows.Add([chosen[c] + 1, temperatures[k], h[k], analytic[k], finite[k]]);
                worst = Math.Max(worst, Math.Abs(analytic[k] - finite[k]) / Math.Max(1e-6, Math.Abs(analytic[k])));
            }
            var label = $"position {F(chosen[c] + 1)} (H(1) = {F(entropy[chosen[c]], "F2")})";
            curves.Add(new LineSeries(label, temperatures, h) { Color = Palette[c] });
            derivative.Add(new LineSeries($"{label}, Var(z)/T³", temperatures, analytic) { Color = Palette[c] });
            derivative.Add(new ScatterSeries($"{label}, finite difference", temperatures, finite) { Color = Palette[c], MarkerSize = 3 });
            foreach (var t in new[] { 0.5, 1.0, 2.0 })
                checks.Add(new Comparison($"{label}, T = {F(t)}", (H(z, t * (1 + s.Step)) - H(z, t * (1 - s.Step))) / (2 * s.Step * t),
                    EntropyDerivatives.WithRespectToTemperature(z, t), 1e-4 * Math.Max(1, Math.Abs(EntropyDerivatives.WithRespectToTemperature(z, t)))));
        }
        run.Table("temperature-sweep", ["predicted_position", "temperature", "entropy_nats", "dH_dT_analytic", "dH_dT_finite_difference"], rows);
        run.Headline("max relative error dH/dT analytic vs finite difference", worst, "not measured: dH/dT is 0 at every temperature (no relative error defined)");

        var report = run.Report;
        report.Section("Entropy against temperature", $"H(T) of the {result.Label} model's logits at the lowest-, median- and highest-entropy positions of {result.Read[0].Name}, " +
            $"{F(s.Count)} temperatures log-spaced over [{F(s.Min)}, {F(s.Max)}]. H rises monotonically to ln|V| = {F(Math.Log(result.FirstLogits.VocabularySize), "F3")} nats; " +
            $"its slope Var_p(z)/T³ (analytic) is checked against (H(T(1+h)) − H(T(1−h)))/(2hT) with h = {F(s.Step)}: the largest relative difference over the sweep is {F(worst, "G3")} " +
            "(relative to max(|dH/dT|, 1e-6)).");
        report.Figure(run.Figure(new Figure("entropy-vs-temperature", "H(T) on real logits", new Axis("T") { Log = true }, new Axis("H (nats)") { Min = 0 }) { Series = curves, Legend = LegendPosition.BottomRight }));
        report.Figure(run.Figure(new Figure("dH-dT", "dH/dT: Var(z)/T³ (lines) against finite differences (points)", new Axis("T") { Log = true }, new Axis("dH/dT (nats per unit T)") { Min = 0 }) { Series = derivative }));
        report.Checks(checks, "finite difference (measured) against Var(z)/T³ (reference)");
    }
}

// The report of entropy-identities: the identities' residuals against their tolerances, and H(T) with dH/dT analytic
// against finite difference and their relative difference, as tables and figures.
using System.Globalization;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Experiments.EntropyIdentities;

/// <summary>One identity's worst residual (a row of identities.csv); pass is "yes" or "no".</summary>
public sealed record IdentityRow(string Identity, double MaxResidual, double Tolerance, string Pass);

/// <summary>One temperature of the curve (a row of temperature_curve.csv).</summary>
public sealed record TemperatureCurveRow(
    double Temperature,
    double EntropyNats,
    [property: Column("dHdT_analytic")] double DHdTAnalytic,
    [property: Column("dHdT_finite_difference")] double DHdTFiniteDifference,
    double RelativeError
);

/// <summary>Renders an <see cref="EntropyIdentitiesResult"/>.</summary>
public static class EntropyIdentitiesReport
{
    /// <summary>Writes the tables, figures, sections and headlines of <paramref name="result"/>.</summary>
    public static void Render(EntropyIdentitiesOptions o, EntropyIdentitiesResult result, RunContext run)
    {
        var curve = result.Curve;
        var t = curve.Select(p => p.Temperature).ToArray();
        var relativeError = curve
            .Select(p => Math.Abs(p.FiniteDifferenceDerivative - p.AnalyticDerivative) / Math.Abs(p.AnalyticDerivative))
            .ToArray();
        var lnV = Math.Log(o.Vocabulary);

        run.Table("identities", result.Identities.Select(i => new IdentityRow(i.Name, i.MaxResidual, i.Tolerance, i.Pass ? "yes" : "no")));
        run.Table(
            "temperature_curve",
            curve.Select(
                (p, i) =>
                    new TemperatureCurveRow(p.Temperature, p.Entropy, p.AnalyticDerivative, p.FiniteDifferenceDerivative, relativeError[i])
            )
        );
        run.Headline("identities passed", $"{result.Identities.Count(i => i.Pass)}/{result.Identities.Count}");
        var finite = relativeError.Where(double.IsFinite).ToArray();
        run.Headline(
            "max relative error of dH/dT",
            finite.Length > 0 ? finite.Max() : double.NaN,
            "not measured: dH/dT is 0 at every temperature (no relative error defined)"
        );

        var report = run.Report;
        report.Lead(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{o.Rows} random logit rows over |V| = {o.Vocabulary} (Gaussian, σ = {o.LogitScale}), seed {o.Seed}. Each identity is "
                    + $"checked on every row at every temperature; the table gives the largest residual. ln|V| = {lnV:G7} nats."
            )
        );
        report.Section("Identities", "H = −Σ p ln p over the (masked, renormalised) vocabulary, p = softmax(z/T).");
        report.Add(
            new KeyValueTable(
                result
                    .Identities.Select(i => new KeyValue(
                        i.Name,
                        string.Create(
                            CultureInfo.InvariantCulture,
                            $"max residual {i.MaxResidual:G3} (tolerance {i.Tolerance:G3}) — {(i.Pass ? "holds" : "FAILS")}"
                        )
                    ))
                    .ToArray()
            )
        );
        report.Section("Entropy against temperature", "H(T) rises monotonically from 0 (T → 0, one-hot) towards ln|V| (T → ∞, uniform).");
        report.Figure(
            run.Figure(
                new Figure(
                    "entropy-vs-temperature",
                    "Token entropy H(T) of one random logit row",
                    new Axis("temperature T") { Log = true },
                    new Axis("H (nats)")
                )
                {
                    Series =
                    [
                        new ReferenceLine(
                            string.Create(CultureInfo.InvariantCulture, $"ln|V| = {lnV:G5}"),
                            ReferenceOrientation.Horizontal,
                            lnV
                        )
                        {
                            Color = "#555555",
                        },
                        new LineSeries("H(T)", t, curve.Select(p => p.Entropy).ToArray()) { Color = "#1f77b4" },
                    ],
                    Legend = LegendPosition.BottomRight,
                }
            )
        );
        report.Section(
            "dH/dT = Var_p(z)/T³",
            "The analytic derivative (line) against a central finite difference of H (markers, step h = 1e-4·T), and their relative "
                + "difference. At low T the difference is the finite difference's own truncation error, "
                + "which grows like (h·Δz/T²)² as H(T) ~ "
                + "e^(−Δz/T) sharpens; the analytic form is exact."
        );
        report.Figure(
            run.Figure(
                new Figure(
                    "entropy-derivative",
                    "dH/dT: analytic against finite difference",
                    new Axis("temperature T") { Log = true },
                    new Axis("dH/dT (nats per unit T)") { Log = true }
                )
                {
                    Series =
                    [
                        new LineSeries("Var_p(z)/T³ (analytic)", t, curve.Select(p => p.AnalyticDerivative).ToArray())
                        {
                            Color = "#1f77b4",
                        },
                        new LineSeries("finite difference", t, curve.Select(p => p.FiniteDifferenceDerivative).ToArray())
                        {
                            Color = "#d62728",
                            Markers = true,
                            Dashed = true,
                        },
                    ],
                    Legend = LegendPosition.BottomRight,
                }
            )
        );
        report.Figure(
            run.Figure(
                new Figure(
                    "entropy-derivative-error",
                    "Relative difference of the two derivatives",
                    new Axis("temperature T") { Log = true },
                    new Axis("|FD − analytic| / analytic") { Log = true }
                )
                {
                    Series = [new LineSeries("relative difference", t, relativeError) { Color = "#2ca02c", Markers = true }],
                    Legend = LegendPosition.None,
                }
            )
        );
    }
}

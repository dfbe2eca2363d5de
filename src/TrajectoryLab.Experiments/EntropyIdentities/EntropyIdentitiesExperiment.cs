// entropy-identities: checks the entropy identities of docs/science.md on random logits, and plots H(T) with its
// temperature derivative, analytic Var_p(z)/T³ against a central finite difference, so a person can see the math hold.
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Experiments.EntropyIdentities;

/// <summary>Options of <c>entropy-identities</c>.</summary>
public sealed class EntropyIdentitiesOptions : ExperimentOptions, IValidatableObject
{
    /// <summary>Vocabulary size |V| of the random logit rows.</summary>
    [Range(1, 10_000_000)] public int Vocabulary { get; set; } = 32_000;
    /// <summary>Number of random logit rows the identities are checked on.</summary>
    [Range(2, 100_000)] public int Rows { get; set; } = 8;
    /// <summary>Standard deviation of the Gaussian logits.</summary>
    [Range(1e-6, 1e4)] public double LogitScale { get; set; } = 3;
    /// <summary>Lowest temperature of the H(T) curve.</summary>
    [Range(1e-4, 1e4)] public double TMin { get; set; } = 0.02;
    /// <summary>Highest temperature of the H(T) curve.</summary>
    [Range(1e-4, 1e4)] public double TMax { get; set; } = 50;
    /// <summary>Temperatures on the curve, log-spaced.</summary>
    [Range(2, 100_000)] public int TCount { get; set; } = 60;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (TMin >= TMax) yield return new ValidationResult($"tMin ({TMin}) must be below tMax ({TMax})", ["TMin"]);
    }
}

/// <summary>Runs <see cref="EntropyIdentityCheck"/> and plots the temperature curve.</summary>
public sealed class EntropyIdentitiesExperiment : Experiment<EntropyIdentitiesOptions>
{
    public override string Kind => "entropy-identities";

    protected override void Run(EntropyIdentitiesOptions o, RunContext run)
    {
        var temperatures = Enumerable.Range(0, o.TCount).Select(i => o.TMin * Math.Pow(o.TMax / o.TMin, i / (o.TCount - 1.0))).ToArray();
        var result = run.Phase("identities", () => EntropyIdentityCheck.Run(o.Seed, o.Vocabulary, o.Rows, temperatures, o.LogitScale));
        var curve = result.Curve;
        var t = curve.Select(p => p.Temperature).ToArray();
        var relativeError = curve.Select(p => Math.Abs(p.FiniteDifferenceDerivative - p.AnalyticDerivative) / Math.Abs(p.AnalyticDerivative)).ToArray();
        var lnV = Math.Log(o.Vocabulary);

        run.Table("identities", ["identity", "max_residual", "tolerance", "pass"],
            result.Identities.Select(i => new object[] { i.Name, i.MaxResidual, i.Tolerance, i.Pass ? "yes" : "no" }));
        run.Table("temperature_curve", ["temperature", "entropy_nats", "dHdT_analytic", "dHdT_finite_difference", "relative_error"],
            curve.Select((p, i) => new object[] { p.Temperature, p.Entropy, p.AnalyticDerivative, p.FiniteDifferenceDerivative, relativeError[i] }));
        run.Headline("identities passed", $"{result.Identities.Count(i => i.Pass)}/{result.Identities.Length}");
        var finite = relativeError.Where(double.IsFinite).ToArray();
        run.Headline("max relative error of dH/dT", finite.Length > 0 ? finite.Max() : double.NaN, "not measured: dH/dT is 0 at every temperature (no relative error defined)");

        var report = run.Report;
        report.Lead(string.Create(CultureInfo.InvariantCulture,
            $"{o.Rows} random logit rows over |V| = {o.Vocabulary} (Gaussian, σ = {o.LogitScale}), seed {o.Seed}. " +
            $"Each identity is checked on every row at every temperature; the table gives the largest residual. ln|V| = {lnV:G7} nats."));
        report.Section("Identities", "H = −Σ p ln p over the (masked, renormalised) vocabulary, p = softmax(z/T).");
        report.Add(new KeyValueTable(result.Identities.Select(i => new KeyValue(i.Name,
            string.Create(CultureInfo.InvariantCulture, $"max residual {i.MaxResidual:G3} (tolerance {i.Tolerance:G3}) — {(i.Pass ? "holds" : "FAILS")}"))).ToArray()));
        report.Section("Entropy against temperature", "H(T) rises monotonically from 0 (T → 0, one-hot) towards ln|V| (T → ∞, uniform).");
        report.Figure(run.Figure(new Figure("entropy-vs-temperature", "Token entropy H(T) of one random logit row", new Axis("temperature T") { Log = true }, new Axis("H (nats)"))
        {
            Series =
            [
                new ReferenceLine(string.Create(CultureInfo.InvariantCulture, $"ln|V| = {lnV:G5}"), ReferenceOrientation.Horizontal, lnV) { Color = "#555555" },
                new LineSeries("H(T)", t, curve.Select(p => p.Entropy).ToArray()) { Color = "#1f77b4" },
            ],
            Legend = LegendPosition.BottomRight,
        }));
        report.Section("dH/dT = Var_p(z)/T³", "The analytic derivative (line) against a central finite difference of H (markers, step h = 1e-4·T), and their relative difference. " +
            "At low T the difference is the finite difference's own truncation error, which grows like (h·Δz/T²)² as H(T) ~ e^(−Δz/T) sharpens; the analytic form is exact.");
        report.Figure(run.Figure(new Figure("entropy-derivative", "dH/dT: analytic against finite difference", new Axis("temperature T") { Log = true }, new Axis("dH/dT (nats per unit T)") { Log = true })
        {
            Series =
            [
                new LineSeries("Var_p(z)/T³ (analytic)", t, curve.Select(p => p.AnalyticDerivative).ToArray()) { Color = "#1f77b4" },
                new LineSeries("finite difference", t, curve.Select(p => p.FiniteDifferenceDerivative).ToArray()) { Color = "#d62728", Markers = true, Dashed = true },
            ],
            Legend = LegendPosition.BottomRight,
        }));
        report.Figure(run.Figure(new Figure("entropy-derivative-error", "Relative difference of the two derivatives", new Axis("temperature T") { Log = true }, new Axis("|FD − analytic| / analytic") { Log = true })
        {
            Series = [new LineSeries("relative difference", t, relativeError) { Color = "#2ca02c", Markers = true }],
            Legend = LegendPosition.None,
        }));
    }
}

// The report of known-system-spectrum: the spectrum against the system's literature values, convergence plots, the
// finite-time exponent distribution, the Kaplan–Yorke dimension, Σλ against the exact volume rate, and the attractor.
// References: Grassberger, Badii, Politi (1988) (finite-time exponents); Kaplan & Yorke (1979).
using System.Globalization;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Experiments.KnownSystems;

/// <summary>One exponent against the literature (a row of spectrum.csv); NaN where there is no value.</summary>
public sealed record SpectrumRow(string Exponent, double Qr, double TwoTrajectory, double Literature, double Tolerance, double AbsError);

/// <summary>One point of a running estimate (a row of convergence.csv).</summary>
public sealed record ConvergenceRow(double Time, string Exponent, double Estimate);

/// <summary>One finite-time λ1 (a row of ftle.csv).</summary>
public sealed record FtleRow(int Window, [property: Column("lambda1")] double Lambda1);

/// <summary>Renders a <see cref="KnownSystemSpectrumResult"/>.</summary>
public static class KnownSystemSpectrumReport
{
    /// <summary>Writes the tables, checks, figures and headlines of <paramref name="r"/>.</summary>
    public static void Render(KnownSystemSpectrumOptions o, KnownSystemSpectrumResult r, RunContext run)
    {
        var (spectrum, pair, reference) = (r.Spectrum, r.TwoTrajectory, r.Literature);
        var k = spectrum.Exponents.Length;
        var names = Enumerable.Range(1, k).Select(i => $"λ{i}").ToArray();
        var window = Math.Max(1, o.FtleWindow / o.Spectrum.QrInterval);
        var ftle =
            spectrum.LocalExponents[0].Length >= window
                ? FiniteTimeExponents.Compute(spectrum.LocalExponents[0], new FiniteTimeOptions(window, 40))
                : null;
        var kaplanYorke = k == r.Dimension ? KaplanYorke.Dimension(spectrum.Exponents) : double.NaN;

        run.Table(
            "spectrum",
            Enumerable
                .Range(0, k)
                .Select(i => new SpectrumRow(
                    names[i],
                    spectrum.Exponents[i],
                    i == 0 ? pair.Exponent : double.NaN,
                    Ref(reference, i),
                    Tol(reference, i),
                    Math.Abs(spectrum.Exponents[i] - Ref(reference, i))
                ))
        );
        run.Table("convergence", spectrum.Convergence.SelectMany(c => c.Values.Select((v, i) => new ConvergenceRow(c.Time, names[i], v))));
        if (ftle is not null)
            run.Table("ftle", ftle.Exponents.Select((v, i) => new FtleRow(i, v)));

        for (var i = 0; i < k; i++)
            run.Headline(names[i], spectrum.Exponents[i], $"breakdown: {spectrum.Breakdown}");
        run.Headline("two-trajectory λ1", pair.Exponent, $"breakdown: {pair.Breakdown}");
        if (!double.IsNaN(kaplanYorke))
            run.Headline("Kaplan–Yorke dimension", kaplanYorke);

        var report = run.Report;
        report.Lead(
            $"{r.Description} Exponents are per {(r.TimeStep == 1 ? "iteration" : "unit time")}, natural log. "
                + $"{o.Spectrum.Steps.ToString("N0", CultureInfo.InvariantCulture)} steps after a transient of "
                + $"{o.Spectrum.Transient.ToString("N0", CultureInfo.InvariantCulture)}, "
                + $"QR every {o.Spectrum.QrInterval} step(s), k = {k}."
        );
        var checks = new List<Comparison>();
        for (var i = 0; i < k; i++)
            checks.Add(new Comparison($"{names[i]} (tangent + QR)", spectrum.Exponents[i], Ref(reference, i), Tol(reference, i)));
        checks.Add(new Comparison("λ1 (two trajectories)", pair.Exponent, Ref(reference, 0), Tol(reference, 0)));
        checks.Add(new Comparison("λ1: QR vs two trajectories", spectrum.Exponents[0], pair.Exponent, Math.Max(0.01, Tol(reference, 0))));
        if (k == r.Dimension && !double.IsNaN(r.VolumeRate))
            checks.Add(
                new Comparison("Σλ = mean ln|det J| (analytic)", spectrum.Exponents.Sum(), r.VolumeRate, r.TimeStep == 1 ? 1e-6 : 1e-3)
            );
        if (!double.IsNaN(kaplanYorke) && reference is { KaplanYorke: var ky } && !double.IsNaN(ky))
            checks.Add(new Comparison("Kaplan–Yorke dimension", kaplanYorke, ky, r.Dimension == 3 ? 0.01 : 0.005));
        report.Section(
            "Spectrum against the literature",
            reference is null
                ? "No published values for these parameters: only the analytic checks apply."
                : $"Reference: {reference.Source}."
        );
        report.Checks(checks);
        run.Headline("checks passed", $"{checks.Count(c => c.Pass)}/{checks.Count(c => !double.IsNaN(c.Reference))}");

        report.Section(
            "Convergence",
            "Running estimate of each exponent against the number of steps (log scale); "
                + "the grey band is the literature value ± the test tolerance."
        );
        for (var i = 0; i < k; i++)
            report.Figure(run.Figure(ConvergenceFigure(spectrum, pair, reference, i, names[i])));
        if (reference is not null)
            report.Figure(run.Figure(ErrorFigure(spectrum, reference, names)));

        if (ftle is not null)
        {
            var intervalTime = o.Spectrum.QrInterval * r.TimeStep;
            report.Section(
                "Finite-time exponents",
                $"λ1 over windows of {window * o.Spectrum.QrInterval} steps "
                    + $"({(window * intervalTime).ToString("G4", CultureInfo.InvariantCulture)} time units): "
                    + $"mean {F(ftle.Mean)}, std {F(ftle.StandardDeviation)}, P05 {F(ftle.P05)}, median {F(ftle.P50)}, P95 {F(ftle.P95)}. "
                    + "Their mean is λ1; their spread shows how unevenly the attractor stretches."
            );
            report.Figure(
                run.Figure(
                    new Figure(
                        "ftle-histogram",
                        $"Finite-time λ1 over {window * o.Spectrum.QrInterval}-step windows",
                        new Axis("finite-time λ1"),
                        new Axis("windows")
                    )
                    {
                        Series =
                        [
                            new HistogramSeries(
                                "windows",
                                [.. ftle.Histogram.Select(b => b.Lower), ftle.Histogram[^1].Upper],
                                [.. ftle.Histogram.Select(b => (double)b.Count)]
                            ),
                            new ReferenceLine($"λ1 = {F(spectrum.Exponents[0])}", ReferenceOrientation.Vertical, spectrum.Exponents[0]),
                        ],
                    }
                )
            );
        }
        if (r.PortraitX.Length > 0)
        {
            report.Section("Attractor", "The orbit the exponents were measured on.");
            report.Figure(
                run.Figure(
                    new Figure("attractor", r.Projection.Title, new Axis(r.Projection.XTitle), new Axis(r.Projection.YTitle))
                    {
                        Series = [new ScatterSeries($"{r.PortraitX.Length} points", r.PortraitX, r.PortraitY) { Color = "#1f77b4" }],
                        Legend = LegendPosition.None,
                    }
                )
            );
        }
        if (spectrum.Breakdown is not null || pair.Breakdown is not null)
            report.Section("Numerical breakdown", string.Join(" ", new[] { spectrum.Breakdown, pair.Breakdown }.Where(b => b is not null)));
    }

    static Figure ConvergenceFigure(
        LyapunovSpectrumResult spectrum,
        MaximalExponentResult pair,
        KnownExponents? reference,
        int i,
        string name
    )
    {
        var t = spectrum.Convergence.Select(c => c.Time).ToArray();
        var series = new List<FigureSeries>();
        if (reference is not null)
        {
            double r = reference.Exponents[i],
                tol = reference.Tolerances[i];
            series.Add(
                new BandSeries($"literature ± {F(tol)}", [t[0], t[^1]], [r - tol, r - tol], [r + tol, r + tol]) { Color = "#d9d9d9" }
            );
            series.Add(new ReferenceLine($"literature {F(r)}", ReferenceOrientation.Horizontal, r) { Color = "#555555" });
        }
        series.Add(new LineSeries($"{name} tangent + QR", t, [.. spectrum.Convergence.Select(c => c.Values[i])]) { Color = "#1f77b4" });
        if (i == 0 && pair.Convergence.Count > 0)
            series.Add(
                new LineSeries(
                    "λ1 two trajectories",
                    [.. pair.Convergence.Select(c => c.Time)],
                    [.. pair.Convergence.Select(c => c.Values[0])]
                )
                {
                    Color = "#d62728",
                    Dashed = true,
                }
            );
        return new Figure(
            $"convergence-{i + 1}",
            $"Convergence of {name}",
            new Axis("time (steps × Δt)") { Log = true },
            new Axis($"running estimate of {name}")
        )
        {
            Series = series,
            Subtitle = $"final {F(spectrum.Exponents[i])}" + (reference is null ? "" : $", literature {F(reference.Exponents[i])}"),
            Legend = LegendPosition.BottomRight,
        };
    }

    static Figure ErrorFigure(LyapunovSpectrumResult spectrum, KnownExponents reference, string[] names)
    {
        var t = spectrum.Convergence.Select(c => c.Time).ToArray();
        var palette = new[] { "#1f77b4", "#d62728", "#2ca02c", "#9467bd" };
        return new Figure(
            "convergence-error",
            "Distance to the literature value",
            new Axis("time (steps × Δt)") { Log = true },
            new Axis("|running estimate − literature|") { Log = true }
        )
        {
            Series =
            [
                .. names.Select(
                    (n, i) =>
                        (FigureSeries)
                            new LineSeries(n, t, [.. spectrum.Convergence.Select(c => Math.Abs(c.Values[i] - reference.Exponents[i]))])
                            {
                                Color = palette[i % palette.Length],
                            }
                ),
            ],
            Subtitle = "how far each running estimate is from the published value",
            Legend = LegendPosition.TopRight,
        };
    }

    static double Ref(KnownExponents? reference, int i) =>
        reference is not null && i < reference.Exponents.Length ? reference.Exponents[i] : double.NaN;

    static double Tol(KnownExponents? reference, int i) =>
        reference is not null && i < reference.Tolerances.Length ? reference.Tolerances[i] : double.NaN;

    static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}

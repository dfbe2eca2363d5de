// known-system-spectrum: the Lyapunov spectrum of a system whose exponents are published (Hénon, Lorenz, logistic),
// by tangent propagation + QR and by the two-trajectory method, with convergence plots, the finite-time exponent
// distribution and the Kaplan–Yorke dimension, against the literature. This validates the Lyapunov code that
// later measures transformers. References: Benettin et al. (1980); Sprott (2003); Kaplan & Yorke (1979).
using System.Globalization;
using Microsoft.Extensions.Logging;
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Experiments.KnownSystems;

/// <summary>Runs the spectrum of a known system and compares it with the literature.</summary>
public sealed class KnownSystemSpectrumExperiment : Experiment<KnownSystemSpectrumOptions>
{
    public override string Kind => "known-system-spectrum";

    protected override void Run(KnownSystemSpectrumOptions o, RunContext run)
    {
        var system = Create(o);
        int k = o.Spectrum.K == 0 ? system.Dimension : o.Spectrum.K;
        var reference = LiteratureExponents.For(o);
        var names = Enumerable.Range(1, k).Select(i => $"λ{i}").ToArray();

        var spectrum = run.Phase("spectrum", () =>
        {
            using var progress = run.Progress("QR spectrum", (long)o.Spectrum.Transient + o.Spectrum.Steps);
            var tangents = Observed.Tangents(new TangentBundle(system, k, o.Seed), progress, run.Cancellation);
            return LyapunovSpectrum.Compute(tangents, new LyapunovSpectrumOptions(o.Spectrum.Transient, o.Spectrum.Steps, o.Spectrum.QrInterval));
        });
        var twoTrajectory = run.Phase("two-trajectory", () =>
        {
            using var progress = run.Progress("two-trajectory λ1", (long)o.Spectrum.Transient + o.Spectrum.Steps);
            var pair = Observed.Pair(new StatePair(system, o.TwoTrajectory.Epsilon, o.Seed), progress, run.Cancellation);
            return MaximalExponent.Compute(pair, new MaximalExponentOptions(o.Spectrum.Transient, o.Spectrum.Steps, o.TwoTrajectory.RenormaliseEvery));
        });
        if (spectrum.Breakdown is not null) run.Logger.LogWarning("spectrum breakdown: {Reason}", spectrum.Breakdown);
        if (twoTrajectory.Breakdown is not null) run.Logger.LogWarning("two-trajectory breakdown: {Reason}", twoTrajectory.Breakdown);

        var intervalTime = o.Spectrum.QrInterval * system.TimeStep;
        int window = Math.Max(1, o.FtleWindow / o.Spectrum.QrInterval);
        var ftle = spectrum.LocalExponents[0].Length >= window
            ? FiniteTimeExponents.Compute(spectrum.LocalExponents[0], new FiniteTimeOptions(window, 40))
            : null;
        var kaplanYorke = k == system.Dimension ? KaplanYorke.Dimension(spectrum.Exponents) : double.NaN;
        var analyticSum = AnalyticVolumeRate(o);

        // Tables: the spectrum against the literature, the convergence curve, the finite-time exponents.
        run.Table("spectrum", ["exponent", "qr", "two_trajectory", "literature", "tolerance", "abs_error"],
            Enumerable.Range(0, k).Select(i => new object[]
            {
                names[i], spectrum.Exponents[i], i == 0 ? twoTrajectory.Exponent : double.NaN,
                Ref(reference, i), Tol(reference, i), Math.Abs(spectrum.Exponents[i] - Ref(reference, i)),
            }));
        run.Table("convergence", ["time", .. names],
            spectrum.Convergence.Select(c => new object[] { c.Time }.Concat(c.Values.Cast<object>()).ToArray()));
        if (ftle is not null)
            run.Table("ftle", ["window", "lambda1"], ftle.Exponents.Select((v, i) => new object[] { i, v }));

        // Headline numbers and checks.
        for (int i = 0; i < k; i++) run.Headline(names[i], spectrum.Exponents[i], $"breakdown: {spectrum.Breakdown}");
        run.Headline("two-trajectory λ1", twoTrajectory.Exponent, $"breakdown: {twoTrajectory.Breakdown}");
        if (!double.IsNaN(kaplanYorke)) run.Headline("Kaplan–Yorke dimension", kaplanYorke);

        var report = run.Report;
        report.Lead($"{Describe(o, system)} Exponents are per {(system.TimeStep == 1 ? "iteration" : "unit time")}, natural log. " +
                    $"{o.Spectrum.Steps.ToString("N0", CultureInfo.InvariantCulture)} steps after a transient of {o.Spectrum.Transient.ToString("N0", CultureInfo.InvariantCulture)}, " +
                    $"QR every {o.Spectrum.QrInterval} step(s), k = {k}.");

        var checks = new List<Comparison>();
        for (int i = 0; i < k; i++)
            checks.Add(new Comparison($"{names[i]} (tangent + QR)", spectrum.Exponents[i], Ref(reference, i), Tol(reference, i)));
        checks.Add(new Comparison("λ1 (two trajectories)", twoTrajectory.Exponent, Ref(reference, 0), Tol(reference, 0)));
        checks.Add(new Comparison("λ1: QR vs two trajectories", spectrum.Exponents[0], twoTrajectory.Exponent, Math.Max(0.01, Tol(reference, 0))));
        if (k == system.Dimension && !double.IsNaN(analyticSum))
            checks.Add(new Comparison("Σλ = mean ln|det J| (analytic)", spectrum.Exponents.Sum(), analyticSum, system.TimeStep == 1 ? 1e-6 : 1e-3));
        if (!double.IsNaN(kaplanYorke) && reference is { KaplanYorke: var ky } && !double.IsNaN(ky))
            checks.Add(new Comparison("Kaplan–Yorke dimension", kaplanYorke, ky, system.Dimension == 3 ? 0.01 : 0.005));
        report.Section("Spectrum against the literature",
            reference is null ? "No published values for these parameters: only the analytic checks apply." : $"Reference: {reference.Source}.");
        report.Checks(checks);
        run.Headline("checks passed", $"{checks.Count(c => c.Pass)}/{checks.Count(c => !double.IsNaN(c.Reference))}");

        report.Section("Convergence", "Running estimate of each exponent against the number of steps (log scale); " +
                                      "the grey band is the literature value ± the test tolerance.");
        for (int i = 0; i < k; i++) report.Figure(run.Figure(ConvergenceFigure(spectrum, twoTrajectory, reference, i, names[i])));
        if (reference is not null) report.Figure(run.Figure(ErrorFigure(spectrum, reference, names)));

        if (ftle is not null)
        {
            report.Section("Finite-time exponents",
                $"λ1 over windows of {window * o.Spectrum.QrInterval} steps ({(window * intervalTime).ToString("G4", CultureInfo.InvariantCulture)} time units): " +
                $"mean {F(ftle.Mean)}, std {F(ftle.StandardDeviation)}, P05 {F(ftle.P05)}, median {F(ftle.P50)}, P95 {F(ftle.P95)}. " +
                "Their mean is λ1; their spread shows how unevenly the attractor stretches.");
            report.Figure(run.Figure(new Figure("ftle-histogram", $"Finite-time λ1 over {window * o.Spectrum.QrInterval}-step windows",
                new Axis("finite-time λ1"), new Axis("windows"))
            {
                Series =
                [
                    new HistogramSeries("windows", [.. ftle.Histogram.Select(b => b.Lower), ftle.Histogram[^1].Upper], [.. ftle.Histogram.Select(b => (double)b.Count)]),
                    new ReferenceLine($"λ1 = {F(spectrum.Exponents[0])}", ReferenceOrientation.Vertical, spectrum.Exponents[0]),
                ],
            }));
        }
        if (o.PortraitPoints > 0)
        {
            report.Section("Attractor", "The orbit the exponents were measured on.");
            report.Figure(run.Figure(Portrait(system, o)));
        }
        if (spectrum.Breakdown is not null || twoTrajectory.Breakdown is not null)
            report.Section("Numerical breakdown", string.Join(" ", new[] { spectrum.Breakdown, twoTrajectory.Breakdown }.Where(b => b is not null)));
    }

    static IDynamicalSystem Create(KnownSystemSpectrumOptions o) => o.System switch
    {
        KnownSystem.Henon => new HenonMap(o.Henon.A, o.Henon.B),
        KnownSystem.Lorenz => new LorenzSystem(o.Lorenz.Sigma, o.Lorenz.Rho, o.Lorenz.Beta, o.Lorenz.Dt),
        KnownSystem.Logistic => new LogisticMap(o.Logistic.R),
        _ => throw new ArgumentOutOfRangeException(nameof(o), o.System, "unknown system"),
    };

    /// <summary>The exact mean of ln|det J| per unit time where it is constant: ln|b| for Hénon, −(σ + 1 + β) for Lorenz.</summary>
    static double AnalyticVolumeRate(KnownSystemSpectrumOptions o) => o.System switch
    {
        KnownSystem.Henon => Math.Log(Math.Abs(o.Henon.B)),
        KnownSystem.Lorenz => -(o.Lorenz.Sigma + 1 + o.Lorenz.Beta),
        _ => double.NaN,
    };

    static string Describe(KnownSystemSpectrumOptions o, IDynamicalSystem system) => o.System switch
    {
        KnownSystem.Henon => string.Create(CultureInfo.InvariantCulture, $"Hénon map (x, y) → (1 − a x² + y, b x) with a = {o.Henon.A}, b = {o.Henon.B}."),
        KnownSystem.Lorenz => string.Create(CultureInfo.InvariantCulture, $"Lorenz flow with σ = {o.Lorenz.Sigma}, ρ = {o.Lorenz.Rho}, β = {o.Lorenz.Beta:G6}, RK4 with dt = {o.Lorenz.Dt} and its variational equations."),
        _ => string.Create(CultureInfo.InvariantCulture, $"Logistic map x → r x (1 − x) with r = {o.Logistic.R}."),
    };

    static Figure ConvergenceFigure(LyapunovSpectrumResult spectrum, MaximalExponentResult twoTrajectory, LiteratureExponents? reference, int i, string name)
    {
        var t = spectrum.Convergence.Select(c => c.Time).ToArray();
        var series = new List<FigureSeries>();
        if (reference is not null)
        {
            double r = reference.Exponents[i], tol = reference.Tolerances[i];
            series.Add(new BandSeries($"literature ± {F(tol)}", [t[0], t[^1]], [r - tol, r - tol], [r + tol, r + tol]) { Color = "#d9d9d9" });
            series.Add(new ReferenceLine($"literature {F(r)}", ReferenceOrientation.Horizontal, r) { Color = "#555555" });
        }
        series.Add(new LineSeries($"{name} tangent + QR", t, spectrum.Convergence.Select(c => c.Values[i]).ToArray()) { Color = "#1f77b4" });
        if (i == 0 && twoTrajectory.Convergence.Count > 0)
            series.Add(new LineSeries("λ1 two trajectories", twoTrajectory.Convergence.Select(c => c.Time).ToArray(),
                twoTrajectory.Convergence.Select(c => c.Values[0]).ToArray()) { Color = "#d62728", Dashed = true });
        return new Figure($"convergence-{i + 1}", $"Convergence of {name}", new Axis("time (steps × Δt)") { Log = true }, new Axis($"running estimate of {name}"))
        {
            Series = series,
            Subtitle = $"final {F(spectrum.Exponents[i])}" + (reference is null ? "" : $", literature {F(reference.Exponents[i])}"),
            Legend = LegendPosition.BottomRight,
        };
    }

    static Figure ErrorFigure(LyapunovSpectrumResult spectrum, LiteratureExponents reference, string[] names)
    {
        var t = spectrum.Convergence.Select(c => c.Time).ToArray();
        var palette = new[] { "#1f77b4", "#d62728", "#2ca02c", "#9467bd" };
        return new Figure("convergence-error", "Distance to the literature value", new Axis("time (steps × Δt)") { Log = true },
            new Axis("|running estimate − literature|") { Log = true })
        {
            Series = names.Select((n, i) => (FigureSeries)new LineSeries(n, t,
                spectrum.Convergence.Select(c => Math.Abs(c.Values[i] - reference.Exponents[i])).ToArray()) { Color = palette[i % palette.Length] }).ToList(),
            Subtitle = "how far each running estimate is from the published value",
            Legend = LegendPosition.TopRight,
        };
    }

    static Figure Portrait(IDynamicalSystem prototype, KnownSystemSpectrumOptions o)
    {
        var system = prototype.Clone();
        for (int i = 0; i < o.Spectrum.Transient; i++) system.Step();
        int n = o.PortraitPoints;
        var x = new double[n];
        var y = new double[n];
        var (ix, iy, xTitle, yTitle) = o.System switch
        {
            KnownSystem.Lorenz => (0, 2, "x", "z"),
            KnownSystem.Henon => (0, 1, "x", "y"),
            _ => (0, -1, "x_n", "x_{n+1}"),
        };
        double previous = system.State[0];
        for (int i = 0; i < n; i++)
        {
            system.Step();
            var s = system.State;
            x[i] = iy < 0 ? previous : s[ix];
            y[i] = iy < 0 ? s[0] : s[iy];
            previous = s[0];
        }
        return new Figure("attractor", o.System switch
        {
            KnownSystem.Lorenz => "Lorenz attractor (x–z projection)",
            KnownSystem.Henon => "Hénon attractor",
            _ => "Logistic map return plot",
        }, new Axis(xTitle), new Axis(yTitle))
        {
            Series = [new ScatterSeries($"{n} points", x, y) { Color = "#1f77b4" }],
            Legend = LegendPosition.None,
        };
    }

    static double Ref(LiteratureExponents? reference, int i) => reference is not null && i < reference.Exponents.Length ? reference.Exponents[i] : double.NaN;
    static double Tol(LiteratureExponents? reference, int i) => reference is not null && i < reference.Tolerances.Length ? reference.Tolerances[i] : double.NaN;
    static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);
}

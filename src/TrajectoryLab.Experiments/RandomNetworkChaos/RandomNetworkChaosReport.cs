// The report of random-network-chaos: λ1(g) per network and its mean ± spread over networks, from the tangent (QR, k = 1)
// and from two trajectories, against the mean-field curve (MeanFieldChaos) and, below the transition, the exact finite-N
// value ln(g ρ(W)); where the ordered state is lost (first gain with λ1 ≥ −4/T, predicted from ρ(W)) and where chaos
// begins (λ1 > 4/T from there on); the leading-k spectrum at one gain; W's eigenvalues against the unit circle.
// A finite-time exponent of a neutral (periodic or quasi-periodic) orbit is O(1/T), so |λ1| ≤ 4/T counts as 0.
// References: Molgedey, Schuchhardt & Schuster (1992), PRL 69:3717; Doyon, Cessac, Quoy & Samuelides (1993), Int. J.
// Bifurcation Chaos 3:279 (quasi-periodic route at finite N); Girko (1984) / Bai (1997) (circular law); Student (1908).
using System.Globalization;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Core.Systems;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Experiments.RandomNetworkChaos;

/// <summary>λ1 of one network at one gain (a row of sweep.csv).</summary>
public sealed record SweepRow(
    double G,
    int Seed,
    [property: Column("lambda1_qr")] double Lambda1Qr,
    [property: Column("lambda1_two_trajectory")] double Lambda1TwoTrajectory,
    [property: Column("ln_g_rho")] double LnGRho
);

/// <summary>λ1 at one gain over the networks, with the theory (a row of lambda1.csv).</summary>
public sealed record Lambda1Row(
    double G,
    [property: Column("mean_field")] double MeanField,
    [property: Column("q_star")] double QStar,
    double Chi1,
    [property: Column("qr_mean")] double QrMean,
    [property: Column("qr_ci95_lower")] double QrLower,
    [property: Column("qr_ci95_upper")] double QrUpper,
    [property: Column("qr_sd")] double QrSd,
    [property: Column("qr_min")] double QrMin,
    [property: Column("qr_max")] double QrMax,
    [property: Column("two_trajectory_mean")] double TwoTrajectoryMean,
    [property: Column("two_trajectory_sd")] double TwoTrajectorySd,
    [property: Column("ln_g_rho_mean")] double LnGRhoMean,
    [property: Column("qr_minus_mean_field")] double QrMinusMeanField
);

/// <summary>One network's transition (a row of networks.csv).</summary>
public sealed record NetworkRow(
    int Seed,
    [property: Column("spectral_radius")] double SpectralRadius,
    [property: Column("critical_gain")] double CriticalGain,
    [property: Column("order_lost_at")] double OrderLostAt,
    [property: Column("order_lost_predicted")] double OrderLostPredicted,
    [property: Column("chaos_from")] double ChaosFrom
);

/// <summary>One exponent of the spectrum (a row of spectrum.csv).</summary>
public sealed record SpectrumRow(int Seed, int Index, double Lambda);

/// <summary>Renders a <see cref="RandomNetworkChaosResult"/>.</summary>
public static class RandomNetworkChaosReport
{
    /// <summary>Accepted |λ1(QR) − λ1(two trajectories)| on one orbit: with a separation of 1e-8 ‖x‖ the second trajectory is
    /// a finite-difference tangent, so the two differ only by the map's nonlinearity over that separation. Measured at most
    /// 1.6e-8 (N = 1000, default configuration) and 2.3e-7 (N = 40); 1e-5 leaves a margin of 40 over the larger.</summary>
    public const double MethodTolerance = 1e-5;

    /// <summary>Accepted |λ1 − ln(g ρ(W))| where every network sits on the stable fixed point x = 0 (g ρ(W) ≤ 0.98): the
    /// estimate of a linear map's leading exponent converges like 1/T (a complex leading pair makes it oscillate). Measured
    /// at most 3.7e-4 for one network (N = 1000, T = 1500 after 300, g ≤ 0.95); 1e-3 leaves a margin of 2.7.</summary>
    public const double FixedPointTolerance = 1e-3;

    /// <summary>Writes the tables, checks, figures and headlines of <paramref name="r"/>.</summary>
    public static void Render(RandomNetworkChaosOptions o, RandomNetworkChaosResult r, RunContext run)
    {
        var gains = r.Gains;
        var neutral = 4.0 / o.Steps; // |λ1| ≤ 4/T: zero within the finite-time error of a neutral orbit
        var networks = r.Seeds.Length;
        var hasRadius = r.SpectralRadius.All(double.IsFinite);
        var lnGRho = gains.Select(g => r.SpectralRadius.Select(rho => g * rho < 1 ? Math.Log(g * rho) : double.NaN).ToArray()).ToArray();
        var rows = gains
            .Select(
                (g, i) =>
                {
                    var mf = r.MeanField[i];
                    var (qr, sd, min, max) = Summary(r.Qr[i]);
                    var (pair, pairSd, _, _) = Summary(r.TwoTrajectory[i]);
                    var fixedPoint = lnGRho[i].All(double.IsFinite) ? lnGRho[i].Average() : double.NaN;
                    return new Lambda1Row(
                        g,
                        mf.Lambda1,
                        mf.Variance,
                        mf.Chi1,
                        qr.Mean,
                        qr.Lower,
                        qr.Upper,
                        sd,
                        min,
                        max,
                        pair.Mean,
                        pairSd,
                        fixedPoint,
                        qr.Mean - mf.Lambda1
                    );
                }
            )
            .ToArray();
        run.Table("lambda1", rows);
        run.Table(
            "sweep",
            gains.SelectMany((g, i) => r.Seeds.Select((seed, s) => new SweepRow(g, seed, r.Qr[i][s], r.TwoTrajectory[i][s], lnGRho[i][s])))
        );

        // Per network: the first gain with λ1 ≥ −4/T (measured, and predicted from ρ(W): the first g with ln(g ρ) ≥ −4/T), and
        // the gain from which λ1 > 4/T at every larger gain.
        var networkRows = r
            .Seeds.Select(
                (seed, s) =>
                {
                    var lost = First(gains, i => r.Qr[i][s] >= -neutral);
                    var predicted = hasRadius ? First(gains, i => Math.Log(gains[i] * r.SpectralRadius[s]) >= -neutral) : double.NaN;
                    var chaos = double.NaN;
                    for (var i = gains.Length - 1; i >= 0 && r.Qr[i][s] > neutral; i--)
                        chaos = gains[i];
                    return new NetworkRow(seed, r.SpectralRadius[s], 1 / r.SpectralRadius[s], lost, predicted, chaos);
                }
            )
            .ToArray();
        run.Table("networks", networkRows);
        var spectrum = r.Spectrum;
        run.Table(
            "spectrum",
            spectrum.Exponents.SelectMany((exponents, s) => exponents.Select((l, i) => new SpectrumRow(r.Seeds[s], i + 1, l)))
        );

        var checks = new List<Comparison>();
        var worstMethods = r
            .Qr.SelectMany((row, i) => row.Select((v, s) => Math.Abs(v - r.TwoTrajectory[i][s])))
            .DefaultIfEmpty(double.NaN)
            .Max();
        checks.Add(
            new Comparison(
                "λ1: tangent (QR) vs two trajectories, largest |difference| over gains and networks",
                worstMethods,
                0,
                MethodTolerance
            )
        );
        if (hasRadius)
        {
            for (var i = 0; i < gains.Length; i++)
                if (r.SpectralRadius.All(rho => gains[i] * rho <= 0.98))
                    checks.Add(
                        new Comparison(
                            $"λ1(g = {F(gains[i])}) on the fixed point 0: mean over networks vs mean ln(g ρ(W))",
                            rows[i].QrMean,
                            rows[i].LnGRhoMean,
                            FixedPointTolerance
                        )
                    );
        }
        for (var i = 0; i < gains.Length; i++)
        {
            var tolerance = RandomTanhNetwork.MeanFieldTolerance(r.Units, gains[i]);
            if (!double.IsNaN(tolerance))
                checks.Add(
                    new Comparison(
                        $"λ1(g = {F(gains[i])}): mean over networks (QR) vs mean field",
                        rows[i].QrMean,
                        rows[i].MeanField,
                        tolerance
                    )
                );
        }
        var k = spectrum.Exponents.Length > 0 ? spectrum.Exponents[0].Length : 0;
        for (var s = 0; s < spectrum.Exponents.Length; s++)
        {
            var tolerance = RandomTanhNetwork.MeanFieldTolerance(r.Units, spectrum.Gain);
            if (!double.IsNaN(tolerance))
                checks.Add(
                    new Comparison(
                        $"spectrum λ1 (seed {I(r.Seeds[s])}, g = {F(spectrum.Gain)}) vs mean field",
                        spectrum.Exponents[s][0],
                        spectrum.MeanField.Lambda1,
                        tolerance
                    )
                );
            if (double.IsFinite(spectrum.VolumeRate[s]))
                checks.Add(
                    new Comparison(
                        $"Σλ (k = N, seed {I(r.Seeds[s])}) = orbit mean of ln|det J|",
                        spectrum.Exponents[s].Sum(),
                        spectrum.VolumeRate[s],
                        1e-6
                    )
                );
        }

        // Headlines.
        var at = Nearest(gains, spectrum.Gain);
        var atName = F(gains[at]);
        run.Headline($"λ1(g={atName}) QR", rows[at].QrMean, "breakdown: every network broke down at this gain");
        run.Headline($"λ1(g={atName}) two-trajectory", rows[at].TwoTrajectoryMean, "breakdown: every network broke down at this gain");
        run.Headline($"λ1(g={atName}) mean field", rows[at].MeanField);
        var chaotic = rows.Where(row => row.G >= RandomTanhNetwork.MeanFieldFrom).ToArray();
        run.Headline(
            $"max |λ1 − mean field| (g ≥ {F(RandomTanhNetwork.MeanFieldFrom)})",
            chaotic.Length == 0 ? double.NaN : chaotic.Max(row => Math.Abs(row.QrMinusMeanField)),
            $"not measured: no gain ≥ {F(RandomTanhNetwork.MeanFieldFrom)}"
        );
        run.Headline("max |λ1 − mean field| (all g)", rows.Max(row => Math.Abs(row.QrMinusMeanField)), "breakdown: λ1 is NaN at some gain");
        run.Headline("g where λ1 reaches 0", Mean(networkRows.Select(n => n.OrderLostAt)), "not measured: λ1 < −4/T at every gain");
        run.Headline("chaos onset g", Mean(networkRows.Select(n => n.ChaosFrom)), "not measured: λ1 ≤ 4/T at the largest gain");
        if (hasRadius)
        {
            run.Headline("1/ρ(W)", networkRows.Average(n => n.CriticalGain));
            run.Headline("ln ρ(W)", r.SpectralRadius.Average(Math.Log));
        }
        if (k > 0)
        {
            run.Headline(
                $"spectrum λ1 (g={F(spectrum.Gain)})",
                spectrum.Exponents[0][0],
                $"breakdown: {string.Join(" ", spectrum.Breakdowns)}"
            );
            run.Headline($"positive exponents of {I(k)} (g={F(spectrum.Gain)})", spectrum.Exponents[0].Count(l => l > 0));
        }
        run.Headline("checks passed", $"{I(checks.Count(c => c.Pass))}/{I(checks.Count)}");

        // Prose, checks, figures.
        var report = run.Report;
        report.Lead(
            string.Create(
                CultureInfo.InvariantCulture,
                $"Random tanh network x → g W tanh(x), N = {I(r.Units)}, W_ij ~ N(0, 1/N), {networks} networks "
                    + $"(seeds {I(r.Seeds[0])}…{r.Seeds[^1]}), {gains.Length} gains in [{gains[0]}, {gains[^1]}]. "
                    + $"Per gain and network λ1 is averaged over {o.Steps} steps after {o.Transient}, renormalising every "
                    + $"{o.RenormaliseEvery}, by the tangent (QR with k = 1) and by two trajectories (ε = {o.Epsilon} of ‖x‖) "
                    + $"on the same orbit. Exponents are per step, natural log."
            )
        );
        report.Section(
            "Theory",
            "Mean field (N → ∞): the input variance q follows q ← g² E[tanh(√q z)²], z ~ N(0, 1); its stable fixed point q* is 0 for "
                + "g ≤ 1 and positive above; λ1 = ½ ln(g² E[tanh′(√q* z)²]), which is ln g for g ≤ 1 and ≈ (2/3)(g − 1)² just above "
                + "(Molgedey, Schuchhardt & Schuster 1992; Poole et al. 2016). Finite N: on the fixed point x = 0 the Jacobian is g W, "
                + "so λ1 = ln(g ρ(W)) exactly, and x = 0 loses stability at g = 1/ρ(W), not at 1 (ρ(W) → 1 as N → ∞, circular law). "
                + "Expectations by Gauss–Hermite quadrature (600 nodes)."
        );
        report.Section("Checks", $"|λ1| ≤ 4/T = {F(neutral)} counts as 0 (a neutral orbit's finite-time exponent is O(1/T)).");
        report.Checks(checks);
        report.Numbers(
            [
                .. rows.Select(row => new KeyValue(
                    $"g = {F(row.G)}",
                    $"QR {F4(row.QrMean)} [95 % CI {F4(row.QrLower)}, {F4(row.QrUpper)}], sd {F4(row.QrSd)}; two trajectories "
                        + $"{F4(row.TwoTrajectoryMean)}; mean field {F4(row.MeanField)}"
                        + (double.IsNaN(row.LnGRhoMean) ? "" : $"; ln(g ρ(W)) {F4(row.LnGRhoMean)}")
                )),
            ],
            "λ1 per gain: mean over networks with its Student-t interval"
        );
        if (r.Breakdowns.Count > 0 || spectrum.Breakdowns.Count > 0)
            report.Section("Numerical breakdown", string.Join(" ", r.Breakdowns.Concat(spectrum.Breakdowns)));

        report.Section("λ1 against the gain");
        report.Figure(run.Figure(Lambda1Figure(r, rows, hasRadius)));
        report.Figure(run.Figure(DeviationFigure(rows)));
        if (k > 0)
        {
            report.Section(
                $"Spectrum at g = {F(spectrum.Gain)}",
                $"The {I(k)} leading exponents of {I(spectrum.Exponents.Length)} network(s), QR every {I(o.SpectrumQrInterval)} steps over "
                    + $"{I(o.SpectrumSteps)} steps after {I(o.SpectrumTransient)}; the mean field predicts λ1 only."
                    + (
                        k == r.Units && spectrum.Exponents[0].All(double.IsFinite)
                            ? $" Kaplan–Yorke dimension {F(KaplanYorke.Dimension(spectrum.Exponents[0]))} of N = {I(r.Units)}."
                            : ""
                    )
            );
            report.Figure(run.Figure(SpectrumFigure(r, k)));
        }
        if (r.EigenvaluesReal.Length > 0)
        {
            report.Section(
                "Eigenvalues of W",
                $"Seed {I(r.Seeds[0])}: ρ(W) = {F(r.SpectralRadius[0])}; the circular law fills the unit disc as N → ∞."
            );
            report.Figure(run.Figure(EigenvalueFigure(r)));
        }
    }

    static Figure Lambda1Figure(RandomNetworkChaosResult r, Lambda1Row[] rows, bool hasRadius)
    {
        var theory = new MeanFieldChaos();
        double lo = r.Gains[0],
            hi = r.Gains[^1];
        var fine = Enumerable.Range(0, 241).Select(i => lo + (hi - lo) * i / 240).ToArray();
        var series = new List<FigureSeries>
        {
            new BandSeries(
                "QR: min–max over networks",
                [.. rows.Select(x => x.G)],
                [.. rows.Select(x => x.QrMin)],
                [.. rows.Select(x => x.QrMax)]
            )
            {
                Color = "#c6dbef",
            },
            new LineSeries("mean field (N → ∞)", fine, [.. fine.Select(theory.MaximalExponent)]) { Color = "#000000" },
            new LineSeries("λ1 tangent + QR (mean)", [.. rows.Select(x => x.G)], [.. rows.Select(x => x.QrMean)])
            {
                Color = "#1f77b4",
                Markers = true,
            },
            new ScatterSeries("λ1 two trajectories (mean)", [.. rows.Select(x => x.G)], [.. rows.Select(x => x.TwoTrajectoryMean)])
            {
                Color = "#d62728",
                MarkerSize = 1.2,
            },
            new ReferenceLine("λ1 = 0", ReferenceOrientation.Horizontal, 0) { Color = "#777777" },
            new ReferenceLine("g = 1", ReferenceOrientation.Vertical, 1) { Color = "#777777" },
        };
        if (hasRadius)
        {
            var rho = r.SpectralRadius.Average();
            var below = fine.Where(g => g * rho < 1).ToArray();
            series.Add(
                new LineSeries($"ln(g ρ(W)), mean ρ = {F(rho)}", below, [.. below.Select(g => Math.Log(g * rho))])
                {
                    Color = "#2ca02c",
                    Dashed = true,
                }
            );
        }
        return new Figure("lambda1", "Random tanh network: λ1 against the gain", new Axis("gain g"), new Axis("λ1 (nats/step)"))
        {
            Series = series,
            Subtitle = $"N = {I(r.Units)}, {I(r.Seeds.Length)} networks",
            Legend = LegendPosition.BottomRight,
            Width = 1000,
            Height = 620,
        };
    }

    static Figure DeviationFigure(Lambda1Row[] rows) =>
        new("lambda1-deviation", "Measured λ1 minus the mean field", new Axis("gain g"), new Axis("λ1 − λ1(mean field)"))
        {
            Series =
            [
                new BandSeries(
                    "min–max over networks",
                    [.. rows.Select(x => x.G)],
                    [.. rows.Select(x => x.QrMin - x.MeanField)],
                    [.. rows.Select(x => x.QrMax - x.MeanField)]
                )
                {
                    Color = "#c6dbef",
                },
                new LineSeries("mean (QR)", [.. rows.Select(x => x.G)], [.. rows.Select(x => x.QrMinusMeanField)])
                {
                    Color = "#1f77b4",
                    Markers = true,
                },
                new ReferenceLine("0", ReferenceOrientation.Horizontal, 0) { Color = "#777777" },
                new ReferenceLine("g = 1", ReferenceOrientation.Vertical, 1) { Color = "#777777" },
            ],
            Subtitle = "below g = 1 the offset is ln ρ(W); near g = 1 finite-N orbits are neutral or fixed points",
            Legend = LegendPosition.TopRight,
        };

    static Figure SpectrumFigure(RandomNetworkChaosResult r, int k)
    {
        var spectrum = r.Spectrum;
        var palette = new[] { "#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e" };
        var index = Enumerable.Range(1, k).Select(i => (double)i).ToArray();
        return new Figure(
            "spectrum",
            $"Leading {I(k)} Lyapunov exponents at g = {F(spectrum.Gain)} (N = {I(r.Units)})",
            new Axis("index i"),
            new Axis("λ_i (nats/step)")
        )
        {
            Series =
            [
                .. spectrum.Exponents.Select(
                    (e, s) => (FigureSeries)new LineSeries($"seed {I(r.Seeds[s])}", index, e) { Color = palette[s % palette.Length] }
                ),
                new ReferenceLine(
                    $"mean-field λ1 = {F(spectrum.MeanField.Lambda1)}",
                    ReferenceOrientation.Horizontal,
                    spectrum.MeanField.Lambda1
                )
                {
                    Color = "#000000",
                },
                new ReferenceLine("λ = 0", ReferenceOrientation.Horizontal, 0) { Color = "#777777" },
            ],
            Legend = LegendPosition.TopRight,
        };
    }

    static Figure EigenvalueFigure(RandomNetworkChaosResult r)
    {
        var angle = Enumerable.Range(0, 361).Select(i => i * Math.PI / 180).ToArray();
        return new Figure(
            "eigenvalues",
            $"Eigenvalues of W (seed {I(r.Seeds[0])}, N = {I(r.Units)})",
            new Axis("Re μ") { Min = -1.3, Max = 1.3 },
            new Axis("Im μ") { Min = -1.3, Max = 1.3 }
        )
        {
            Series =
            [
                new ScatterSeries("eigenvalues", r.EigenvaluesReal, r.EigenvaluesImaginary) { Color = "#1f77b4", MarkerSize = 1.5 },
                new LineSeries("unit circle", [.. angle.Select(Math.Cos)], [.. angle.Select(Math.Sin)]) { Color = "#000000" },
            ],
            Legend = LegendPosition.TopRight,
            Width = 640,
            Height = 640,
        };
    }

    /// <summary>Mean interval, standard deviation, min and max of the finite values.</summary>
    static (MeanInterval Interval, double Sd, double Min, double Max) Summary(double[] values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        var interval = Sample.MeanWithInterval(finite);
        var sd = finite.Length > 1 ? interval.StandardError * Math.Sqrt(finite.Length) : double.NaN;
        return finite.Length == 0 ? (interval, sd, double.NaN, double.NaN) : (interval, sd, finite.Min(), finite.Max());
    }

    /// <summary>The first gain whose index satisfies <paramref name="predicate"/>, or NaN.</summary>
    static double First(double[] gains, Func<int, bool> predicate)
    {
        for (var i = 0; i < gains.Length; i++)
            if (predicate(i))
                return gains[i];
        return double.NaN;
    }

    static int Nearest(double[] gains, double g) => Array.IndexOf(gains, gains.MinBy(x => Math.Abs(x - g)));

    static double Mean(IEnumerable<double> values)
    {
        var list = values.ToList();
        return list.Count > 0 && list.All(double.IsFinite) ? list.Average() : double.NaN;
    }

    static string F(double v) => v.ToString("G6", CultureInfo.InvariantCulture);

    static string F4(double v) => v.ToString("F4", CultureInfo.InvariantCulture);

    static string I(int v) => v.ToString(CultureInfo.InvariantCulture);
}

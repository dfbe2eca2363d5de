// The report of device-agreement: the agreement and per-position tables, the relative error along the text against each
// dtype's tolerance, the checks, the distributions and greedy trajectories, and the headline ratios error / tolerance.
// References: Higham (2002), Accuracy and Stability of Numerical Algorithms, ch. 3; Kalamkar et al. (2019), arXiv:1905.12322.
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.DeviceAgreement;

/// <summary>One model × dtype comparison (a row of agreement.csv).</summary>
public sealed record AgreementRow(
    string Model,
    string Device,
    [property: Column("dtype")] string DType,
    int Positions,
    double MaxRelativeError,
    double Tolerance,
    bool WithinTolerance,
    double MeanKlNats,
    double ArgmaxAgreement,
    int GreedyAgreeSteps,
    int GreedySteps
);

/// <summary>One position of one comparison (a row of positions.csv).</summary>
public sealed record PositionRow(
    string Model,
    [property: Column("dtype")] string DType,
    int Position,
    double MaxAbsError,
    double RelativeError,
    double KlNats,
    bool SameArgmax
);

/// <summary>Renders a <see cref="DeviceAgreementResult"/>.</summary>
public static class DeviceAgreementReport
{
    /// <summary>Writes the tables, figure, sections and headlines of <paramref name="result"/>.</summary>
    public static void Render(DeviceAgreementOptions o, DeviceAgreementResult result, RunContext run)
    {
        var rows = result.Comparisons.Select(c => (c.Model, c.DType, Agreement: c.Agreement(), c.GreedyAgreeSteps, c.GreedySteps)).ToList();
        run.Table(
            "agreement",
            rows.Select(r => new AgreementRow(
                r.Model,
                o.Device,
                r.DType,
                r.Agreement.Positions.Count,
                r.Agreement.MaxRelativeError,
                r.Agreement.Tolerance,
                r.Agreement.WithinTolerance,
                r.Agreement.MeanKl,
                r.Agreement.ArgmaxAgreement,
                r.GreedyAgreeSteps,
                r.GreedySteps
            ))
        );
        run.Table(
            "positions",
            rows.SelectMany(r =>
                r.Agreement.Positions.Select(p => new PositionRow(
                    r.Model,
                    r.DType,
                    p.Position,
                    p.MaxAbsError,
                    p.RelativeError,
                    p.Kl,
                    p.SameArgmax
                ))
            )
        );

        var series = new List<FigureSeries>();
        var color = 0;
        foreach (var r in rows)
        {
            var c = Palette[color++ % Palette.Length];
            var positive = r.Agreement.Positions.Where(p => p.RelativeError > 0).ToArray(); // a log axis cannot show exact agreement
            if (positive.Length > 0)
            {
                series.Add(
                    new LineSeries(
                        $"{r.Model}, {r.DType}",
                        [.. positive.Select(p => (double)p.Position)],
                        [.. positive.Select(p => p.RelativeError)]
                    )
                    {
                        Color = c,
                    }
                );
            }
        }
        foreach (var dtype in o.DTypes.Distinct())
        {
            var tolerance = rows.Where(r => r.DType == dtype).Max(r => r.Agreement.Tolerance);
            series.Add(new ReferenceLine($"tolerance {dtype}", ReferenceOrientation.Horizontal, tolerance));
        }
        var errors = rows.SelectMany(r => r.Agreement.Positions)
            .Select(p => p.RelativeError)
            .Where(e => e > 0 && double.IsFinite(e))
            .ToArray();
        var top = Math.Max(rows.Max(r => r.Agreement.Tolerance), errors.DefaultIfEmpty(0).Max()) * 2; // the tolerance lines stay in view
        var exact = rows.Where(r => r.Agreement.MaxRelativeError == 0).Select(r => $"{r.Model} {r.DType}").ToList();
        run.Figure(
            new Figure(
                "relative_error",
                $"Logits on {o.Device} against CPU float32",
                new Axis("position"),
                new Axis("max |Δz| / max |z|")
                {
                    Log = true,
                    Max = top,
                    Min = errors.Length > 0 ? errors.Min() / 2 : top / 1e6,
                }
            )
            {
                Series = series,
                Subtitle =
                    $"teacher-forced over {result.TextName}; dashed: each dtype's tolerance 8·u·√(L + 2)"
                    + (exact.Count > 0 ? $"; {exact.Count} exact (not drawn)" : ""),
            }
        );

        var report = run.Report;
        var failed = rows.Where(r => !r.Agreement.WithinTolerance).ToList();
        report.Lead(
            failed.Count == 0
                ? $"On {o.Device}, every dtype of every model stays within its tolerance "
                    + $"at all {rows[0].Agreement.Positions.Count} positions (reference: CPU float32)."
                : $"On {o.Device}, {failed.Count} of {rows.Count} model × dtype comparisons leave their tolerance: "
                    + $"{string.Join("; ", failed.Select(r =>
                  $"{r.Model} {r.DType} ({F(r.Agreement.MaxRelativeError, "E2")} > {F(r.Agreement.Tolerance, "E2")})"))}."
        );
        report.Section(
            "Teacher-forced logits",
            "Both models read the same tokens one at a time through the state of the generation map (the key–value cache, or a "
                + "Mamba's recurrent state), the path every experiment uses. "
                + "The relative error is max_k |z_cand,k − z_ref,k| / max_k |z_ref,k|; the tolerance is 8·u·√(L + 2) "
                + "with the dtype's unit roundoff u and L blocks."
        );
        report.Checks([
            .. rows.Select(r => new Comparison(
                $"{r.Model}, {r.DType}: max relative error",
                r.Agreement.MaxRelativeError,
                0,
                r.Agreement.Tolerance
            )),
        ]);
        report.Figure(
            "relative_error",
            exact.Count > 0
                ? $"Identical to the reference at every position, so not drawn on the log axis: {string.Join(", ", exact)}."
                : null
        );
        report.Numbers(
            [
                .. rows.Select(r => new KeyValue(
                    $"{r.Model}, {r.DType}",
                    $"mean KL {F(r.Agreement.MeanKl, "E2")} nats; "
                        + $"argmax agrees at {F(100 * r.Agreement.ArgmaxAgreement, "F1")} % of positions; "
                        + $"greedy tokens agree for {F(r.GreedyAgreeSteps)} of {F(r.GreedySteps)} steps"
                )),
            ],
            "Distributions and greedy trajectories"
        );
        report.Paragraph(
            "A greedy trajectory in a coarser dtype can leave the reference's at the first near-tie of the top two logits "
                + "and then follow its own orbit: that is the butterfly effect of generation, not an error of the device, "
                + "which is why the logit comparison above is teacher-forced."
        );

        foreach (var r in rows)
        {
            var key = $"{r.Model.Replace(' ', '_')}_{r.DType}";
            run.Headline($"{key}_max_relative_error", r.Agreement.MaxRelativeError);
            run.Headline($"{key}_error_over_tolerance", r.Agreement.MaxRelativeError / r.Agreement.Tolerance);
        }
        run.Headline("comparisons_within_tolerance", rows.Count(r => r.Agreement.WithinTolerance));
        run.Headline("comparisons", rows.Count);
    }
}

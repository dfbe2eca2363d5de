// Recurrence quantification analysis (RQA): recurrence rate, determinism, mean diagonal line length, laminarity.
// References: Zbilut & Webber (1992), Phys. Lett. A 171:199; Marwan et al. (2007), Phys. Rep. 438:237, §5.

namespace TrajectoryLab.Core.Metrics;

/// <summary>RQA parameters.</summary>
/// <param name="MinDiagonal">ℓ_min, shortest diagonal line counted as deterministic. Default 2.</param>
/// <param name="MinVertical">v_min, shortest vertical line counted as laminar. Default 2.</param>
/// <param name="TheilerWindow">w: points with |i − j| &lt; w are excluded; 1 excludes the line of identity. Default 1.</param>
public sealed record RqaOptions(int MinDiagonal = 2, int MinVertical = 2, int TheilerWindow = 1)
{
    /// <summary>ℓ_min = v_min = 2, w = 1.</summary>
    public static RqaOptions Default { get; } = new();
}

/// <summary>RQA measures of one recurrence plot.</summary>
/// <param name="RecurrenceRate">RR = (1/N_w) Σ R_ij over the N_w points outside the Theiler window.</param>
/// <param name="Determinism">DET = Σ_{ℓ≥ℓmin} ℓ P(ℓ) / Σ R_ij: share of recurrent points on diagonal lines.</param>
/// <param name="MeanDiagonalLength">L = Σ_{ℓ≥ℓmin} ℓ P(ℓ) / Σ_{ℓ≥ℓmin} P(ℓ); NaN when there is no such line.</param>
/// <param name="Laminarity">LAM = Σ_{v≥vmin} v P(v) / Σ R_ij: share of recurrent points on vertical lines.</param>
/// <param name="RecurrentPoints">Σ R_ij outside the Theiler window.</param>
/// <param name="Breakdown">ZeroInput when there is no recurrent point (DET, L, LAM are NaN).</param>
public sealed record RqaResult(
    double RecurrenceRate,
    double Determinism,
    double MeanDiagonalLength,
    double Laminarity,
    int RecurrentPoints,
    MetricBreakdown Breakdown
);

/// <summary>Recurrence quantification of a <see cref="RecurrencePlot"/>.</summary>
public static class RecurrenceQuantification
{
    /// <summary>RR, DET, L and LAM (Marwan et al. 2007, eqs. 34, 35, 36, 39), both triangles counted.</summary>
    /// <remarks>
    /// P(ℓ) and P(v) are histograms of maximal diagonal and vertical runs of recurrent points outside the Theiler window.
    /// A periodic sequence with period P ≥ 2 and a whole number (≥ 2) of periods has DET = 1. Lines cut by the plot
    /// border are counted at their visible length (a recurrence in the corner (0, N−1) is a line of length 1).
    /// </remarks>
    public static RqaResult Compute(RecurrencePlot plot, RqaOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(plot);
        options ??= RqaOptions.Default;
        var n = plot.Size;
        var w = options.TheilerWindow;
        bool Counted(int i, int j) => Math.Abs(i - j) >= w && plot[i, j];

        var (recurrent, eligible) = (0, 0);
        for (var i = 0; i < n; i++)
        {
            for (var j = 0; j < n; j++)
            {
                eligible += Math.Abs(i - j) >= w ? 1 : 0;
                recurrent += Counted(i, j) ? 1 : 0;
            }
        }

        // Diagonals are walked along offset k = j − i; vertical lines along each column j.
        var (diagonalPoints, diagonalLines) = (0, 0);
        for (var k = -(n - 1); k < n; k++)
        {
            var i0 = Math.Max(0, -k);
            foreach (var run in Runs(n - Math.Abs(k), s => Counted(i0 + s, i0 + s + k)).Where(r => r >= options.MinDiagonal))
            {
                diagonalPoints += run;
                diagonalLines++;
            }
        }

        var verticalPoints = 0;
        for (var j = 0; j < n; j++)
        {
            var column = j;
            verticalPoints += Runs(n, i => Counted(i, column)).Where(r => r >= options.MinVertical).Sum();
        }

        var rr = eligible == 0 ? double.NaN : (double)recurrent / eligible;
        if (recurrent == 0)
        {
            return new RqaResult(rr, double.NaN, double.NaN, double.NaN, 0, MetricBreakdown.ZeroInput);
        }

        return new RqaResult(
            rr,
            (double)diagonalPoints / recurrent,
            diagonalLines == 0 ? double.NaN : (double)diagonalPoints / diagonalLines,
            (double)verticalPoints / recurrent,
            recurrent,
            MetricBreakdown.None
        );
    }

    private static IEnumerable<int> Runs(int length, Func<int, bool> isSet) // lengths of maximal runs of set cells
    {
        var run = 0;
        for (var s = 0; s < length; s++)
        {
            if (isSet(s))
            {
                run++;
            }
            else if (run > 0)
            {
                yield return run;
                run = 0;
            }
        }

        if (run > 0)
        {
            yield return run;
        }
    }
}

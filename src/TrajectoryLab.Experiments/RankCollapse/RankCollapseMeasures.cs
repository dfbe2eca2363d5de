// The rank measures of rank-collapse on captured residual rows: effective rank (Roy & Vetterli 2007, EUSIPCO), stable
// rank (Rudelson & Vershynin 2007) and Dong et al.'s token-uniformity ratio (Dong, Cordonnier & Loukas 2021, ICML,
// arXiv:2103.03404), over position windows, growing prefixes and sliding windows of generation steps. The measures
// themselves are Core's (RankMeasures, TokenUniformity); this file only cuts the matrices (at measurement time: the
// captured matrices are not kept) and takes the means of the readings (at report time).
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Experiments.RankCollapse;

/// <summary>One prefill (or prefill + greedy steps) of one model over one text, with the residual rows of every site.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Source">"validation", "generated" or an ablation variant's name.</param>
/// <param name="Text">Text name.</param>
/// <param name="Tokens">Token ids read, BOS first.</param>
/// <param name="Sites">Per residual site s = 0 … L (h after s blocks), the matrix [positions × d_model].</param>
/// <param name="Entropy">Generated traces: the entropy (nats) of the distribution each generated token was chosen from; else empty.</param>
/// <param name="Prompt">Generated traces: the prompt length; else the text length.</param>
internal sealed record Trace(string Model, string Source, string Text, int[] Tokens, Matrix<double>[] Sites, double[] Entropy, int Prompt);

/// <summary>Cuts captured rows into matrices and measures them.</summary>
public static class RankCollapseMeasures
{
    /// <summary>The measures of <paramref name="x"/>.</summary>
    /// <param name="x">[positions × d_model]</param>
    public static RankReading Measure(Matrix<double> x)
    {
        var rank = RankMeasures.Compute(x);
        var uniformity = TokenUniformity.Ratio(x);
        var breakdown =
            rank.Breakdown != MetricBreakdown.None ? rank.Breakdown.ToString()
            : uniformity.Breakdown != MetricBreakdown.None ? uniformity.Breakdown.ToString()
            : null;
        return new RankReading(rank.EffectiveRank, rank.StableRank, uniformity.Value, breakdown);
    }

    /// <summary>Rows [<paramref name="start"/>, start + count) of <paramref name="x"/>.</summary>
    /// <param name="x">[positions × d_model]</param>
    /// <param name="start">First row.</param>
    /// <param name="count">Rows taken.</param>
    public static Matrix<double> Rows(Matrix<double> x, int start, int count) => x.SubMatrix(start, count, 0, x.ColumnCount);

    /// <summary>The measures of every full window of <paramref name="window"/> positions, [windows].</summary>
    /// <param name="x">[positions × d_model]</param>
    /// <param name="window">Positions per window; a partial last window is left out.</param>
    public static RankReading[] Windows(Matrix<double> x, int window) =>
        [.. Enumerable.Range(0, x.RowCount / window).Select(w => Measure(Rows(x, w * window, window)))];

    /// <summary>The sliding-window effective rank of rows [<paramref name="from"/>, end): entry i covers rows
    /// from + i … from + i + window − 1.</summary>
    /// <param name="x">[positions × d_model]</param>
    /// <param name="from">First row of the trajectory (the first generated position).</param>
    /// <param name="window">Rows per window.</param>
    public static RankReading[] Sliding(Matrix<double> x, int from, int window) =>
        [.. Enumerable.Range(from, Math.Max(0, x.RowCount - from - window + 1)).Select(s => Measure(Rows(x, s, window)))];

    /// <summary>Appends one activation's rows (row 0 of the batch) to <paramref name="into"/>, one float[d_model] per position.</summary>
    /// <param name="activation">Shape [pos, d_model]; Rows [batch][pos · d_model].</param>
    /// <param name="into">The rows so far.</param>
    public static void Append(Activation activation, List<double[]> into)
    {
        int pos = activation.Shape[0],
            d = activation.Shape[1];
        var flat = activation.Rows[0];
        for (var p = 0; p < pos; p++)
            into.Add([.. flat.AsSpan(p * d, d).ToArray().Select(v => (double)v)]);
    }

    /// <summary>Mean of the finite values, NaN when none.</summary>
    /// <param name="values">Values.</param>
    public static double Mean(IEnumerable<double> values)
    {
        var finite = values.Where(double.IsFinite).ToArray();
        return finite.Length == 0 ? double.NaN : finite.Average();
    }
}

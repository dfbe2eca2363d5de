// Entropy by token frequency rank for entropy-profile: frequencies counted over the texts read (BOS excluded), ranks
// binned on a log scale, and in each bin the mean entropy of the distribution that PREDICTED a token of that rank, the mean
// surprisal of those tokens, and the mean entropy of the distribution that FOLLOWS reading a token of that rank.
// References: Zipf (1949), Human Behavior and the Principle of Least Effort; Efron & Tibshirani (1993) (bootstrap).
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.EntropyProfile;

/// <summary>One model's means over one bin of frequency ranks (a row of entropy-by-rank.csv).</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="RankFrom">Lower edge of the bin.</param>
/// <param name="RankTo">Upper edge of the bin.</param>
/// <param name="Tokens">Predicted tokens whose rank falls in the bin.</param>
/// <param name="EntropyPredictingNats">Mean H of the distributions that predicted them (NaN for an empty bin).</param>
/// <param name="SurprisalNats">Mean −ln p of them.</param>
/// <param name="EntropyAfterReadingNats">Mean H of the distributions right after a token of the bin was read.</param>
public sealed record EntropyByRankRow(
    string Model,
    double RankFrom,
    double RankTo,
    int Tokens,
    double EntropyPredictingNats,
    double SurprisalNats,
    double EntropyAfterReadingNats
);

/// <summary>Writes entropy and surprisal against frequency rank.</summary>
public static class EntropyByRank
{
    /// <summary>Each token's frequency rank over <paramref name="texts"/>: 1 for the most frequent, ties broken by the
    /// smaller id.</summary>
    public static IReadOnlyDictionary<int, int> FrequencyRanks(IEnumerable<IEnumerable<int>> texts) =>
        texts
            .SelectMany(t => t)
            .GroupBy(id => id)
            .Select(g => (Id: g.Key, Count: g.Count()))
            .OrderByDescending(c => c.Count)
            .ThenBy(c => c.Id)
            .Select((c, i) => (c.Id, Rank: i + 1))
            .ToDictionary(c => c.Id, c => c.Rank);

    /// <summary>min(<paramref name="requested"/>, <paramref name="distinct"/>) bins of rank on a log scale: the bins + 1 edges
    /// run from 1 to <paramref name="distinct"/> + 1, and rank r falls in bin ⌊bins · ln r / ln(distinct + 1)⌋.</summary>
    public static (double[] Edges, Func<int, int> Bin) LogBins(int distinct, int requested)
    {
        var bins = Math.Min(requested, Math.Max(1, distinct));
        var edges = Enumerable.Range(0, bins + 1).Select(i => Math.Pow(distinct + 1, i / (double)bins)).ToArray(); // [bins + 1]
        return (edges, r => Math.Min(bins - 1, (int)(Math.Log(r) / Math.Log(distinct + 1) * bins)));
    }

    /// <summary>Counts, bins and writes table, figure, correlations and headline.</summary>
    /// <param name="run">The run.</param>
    /// <param name="o">The options (bins, resamples, seed).</param>
    /// <param name="results">One result per model, trained first; the frequencies are those of the trained model's read texts.</param>
    public static void Write(RunContext run, EntropyProfileOptions o, IReadOnlyList<ModelEntropy> results)
    {
        var texts = results[0].Read; // every model read the same texts
        var rank = FrequencyRanks(texts.Select(t => t.Tokens.Skip(1)));
        var (edges, Bin) = LogBins(rank.Count, o.RankBins);
        var bins = edges.Length - 1;
        var counts = rank; // distinct tokens, for the prose
        var centres = Enumerable.Range(0, bins).Select(b => Math.Sqrt(edges[b] * edges[b + 1])).ToArray();

        var report = run.Report;
        report.Section(
            "Entropy by frequency rank",
            $"Token frequencies counted over the {F(texts.Count)} text(s) read "
                + $"({F(counts.Count)} distinct tokens, rank 1 the most frequent), ranks in {F(bins)} log-spaced bins. "
                + "“predicting” is the entropy of the distribution that predicted a token of that rank "
                + "(how uncertain the model was before it came); "
                + "“after reading” is the entropy of the distribution right after a token of that rank was read; "
                + "surprisal is −ln p of the token of that rank."
        );
        var rows = new List<EntropyByRankRow>();
        var series = new List<FigureSeries>();
        var correlations = new List<KeyValue>();
        foreach (var r in results)
        {
            var predicting = r
                .Read.SelectMany(t => t.Entropy.Select((h, i) => (Rank: rank[t.Tokens[t.Offset + i]], H: h, S: t.Surprisal[i])))
                .ToArray();
            var after = r
                .Read.SelectMany(t =>
                    t.Entropy.Select((h, i) => (Index: t.Offset + i - 1, H: h))
                        .Where(x => x.Index >= 1)
                        .Select(x => (Rank: rank[t.Tokens[x.Index]], x.H))
                )
                .ToArray();
            var byBin = Enumerable
                .Range(0, bins)
                .Select(b =>
                {
                    var p = predicting.Where(x => Bin(x.Rank) == b).ToArray();
                    var a = after.Where(x => Bin(x.Rank) == b).ToArray();
                    return (
                        N: p.Length,
                        H: p.Select(x => x.H).DefaultIfEmpty(double.NaN).Average(),
                        S: p.Select(x => x.S).DefaultIfEmpty(double.NaN).Average(),
                        After: a.Select(x => x.H).DefaultIfEmpty(double.NaN).Average()
                    );
                })
                .ToArray();
            for (var b = 0; b < bins; b++)
                rows.Add(new(r.Label, edges[b], edges[b + 1], byBin[b].N, byBin[b].H, byBin[b].S, byBin[b].After));
            var keep = Enumerable.Range(0, bins).Where(b => byBin[b].N > 0).ToArray();
            var dashed = !ReferenceEquals(r, results[0]);
            LineSeries Line(string what, Func<int, double> y, string color) =>
                new($"{r.Label}, {what}", [.. keep.Select(b => centres[b])], [.. keep.Select(y)])
                {
                    Markers = true,
                    Color = color,
                    Dashed = dashed,
                };
            series.Add(Line("H predicting", b => byBin[b].H, Palette[0]));
            series.Add(Line("surprisal", b => byBin[b].S, Palette[1]));
            series.Add(Line("H after reading", b => byBin[b].After, Palette[2]));
            var options = new BootstrapCorrelationOptions(CorrelationMethod.Spearman, o.BootstrapResamples, 0.95, (ulong)o.Seed);
            var rp = BootstrapCorrelation.Compute([.. predicting.Select(x => (double)x.Rank)], [.. predicting.Select(x => x.H)], options);
            var ra = BootstrapCorrelation.Compute([.. after.Select(x => (double)x.Rank)], [.. after.Select(x => x.H)], options);
            correlations.Add(new KeyValue($"{r.Label}: rank of the predicted token vs H predicting", Correlation(rp)));
            correlations.Add(new KeyValue($"{r.Label}: rank of the token read vs H after reading", Correlation(ra)));
            if (rp.Succeeded)
                run.Headline($"spearman rank of predicted token vs entropy, {r.Label}", rp.R);
        }
        run.Table("entropy-by-rank", rows);
        report.Figure(
            run.Figure(
                new Figure(
                    "entropy-by-rank",
                    "Entropy and surprisal against frequency rank",
                    new Axis("frequency rank in the texts read") { Log = true },
                    new Axis("nats") { Min = 0 }
                )
                {
                    Series = series,
                    Legend = LegendPosition.OutsideRight,
                }
            )
        );
        report.Numbers(correlations, "Spearman ρ (positive: rarer tokens go with higher entropy)");
    }
}

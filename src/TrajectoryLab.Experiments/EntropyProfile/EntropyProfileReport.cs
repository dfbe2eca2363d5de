// Tables, figures and the report of entropy-profile, rendered from an EntropyProfileResult; every number in a sentence
// is computed from the result.
// References: Wang et al. (2025), arXiv:2506.01939 (high-entropy positions); Zipf (1949) (frequency rank);
// Efron & Tibshirani (1993) (bootstrap); docs/science.md (dH/dT = Var(z)/T³).
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.EntropyProfile;

/// <summary>One predicted token of a read text or a generation (a row of tokens.csv).</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Source">"read" or "generated".</param>
/// <param name="Text">The sequence's name.</param>
/// <param name="Index">Index of the token in its sequence (BOS = 0).</param>
/// <param name="TokenId">The token.</param>
/// <param name="Token">How it reads.</param>
/// <param name="EntropyNats">H of the distribution that predicted it.</param>
/// <param name="SurprisalNats">−ln p of it under that distribution.</param>
/// <param name="AboveQuantile">H ≥ τ_ρ (read text only).</param>
/// <param name="TopK">Among the K highest H of its text (read text only).</param>
public sealed record TokenRow(
    string Model,
    string Source,
    string Text,
    int Index,
    int TokenId,
    string Token,
    double EntropyNats,
    double SurprisalNats,
    bool AboveQuantile,
    bool TopK
);

/// <summary>Renders an <see cref="EntropyProfileResult"/>.</summary>
public static class EntropyProfileReport
{
    /// <summary>Writes the tables, figures, headlines and report of <paramref name="result"/>.</summary>
    /// <param name="o">The options.</param>
    /// <param name="result">What was measured.</param>
    /// <param name="run">The run.</param>
    public static void Render(EntropyProfileOptions o, EntropyProfileResult result, RunContext run)
    {
        var results = result.Models;
        var m = result.Model;
        var report = run.Report;
        var positions = results[0].Read.Sum(r => r.Entropy.Length);
        report.Lead(
            $"{F(results[0].Read.Count)} text(s), {F(positions)} predicted positions, read teacher-forced by {o.Model.Name} "
                + $"({m.Path}: {F(m.Layers)} layers, vocabulary {F(m.Vocabulary)}, ln|V| = {F(Math.Log(m.Vocabulary), "F3")} nats)"
                + $"{(results.Count > 1 ? " and by its random-init twin" : "")}; and {F(results[0].Generated.Count)} generation(s) of "
                + $"{F(o.GenerateTokens)} tokens sampled at {Temperature(o.Temperature)} "
                + $"from each text's first {F(o.PromptTokens)} tokens. "
                + "H_t is the entropy (nats) of the model's T = 1 distribution over the next token; "
                + "surprisal is −ln p of the token that came."
        );
        var rows = new List<TokenRow>();
        foreach (var r in results)
        {
            var selection = HighEntropyPositions.ByBatchQuantile([.. r.Read.Select(x => x.Entropy)], o.Quantile);
            var top = HighEntropyPositions.TopKPerSequence([.. r.Read.Select(x => x.Entropy)], o.TopK);
            for (var s = 0; s < r.Read.Count; s++)
                rows.AddRange(Rows(r.Label, "read", r.Read[s], [.. selection.Positions[s]], [.. top[s]]));
            foreach (var g in r.Generated)
                rows.AddRange(Rows(r.Label, "generated", g, [], []));
        }
        run.Table("tokens", rows);

        Profiles(run, results);
        HighEntropy(run, o, results);
        EntropyTemperatureSweep.Write(run, o, result);
        EntropyByRank.Write(run, o, results);
    }

    private static IEnumerable<TokenRow> Rows(string model, string source, EntropyTrace t, HashSet<int> high, HashSet<int> top) =>
        t.Entropy.Select(
            (h, i) =>
                new TokenRow(
                    model,
                    source,
                    t.Name,
                    t.Offset + i,
                    t.Tokens[t.Offset + i],
                    t.TokenTexts[t.Offset + i],
                    h,
                    t.Surprisal[i],
                    high.Contains(i),
                    top.Contains(i)
                )
        );

    private static double Mean(IEnumerable<EntropyTrace> traces, Func<EntropyTrace, double[]> what) =>
        traces.SelectMany(what).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average();

    private static void Profiles(RunContext run, IReadOnlyList<ModelEntropy> results)
    {
        var report = run.Report;
        report.Section(
            "Entropy and surprisal",
            "Means over all positions. "
                + "Over read text the mean surprisal is the cross-entropy (its exp the perplexity); "
                + "over the model's own samples at T = 1 the expected surprisal equals the expected entropy, "
                + "so their gap there is sampling noise."
        );
        var numbers = new List<KeyValue>();
        foreach (var r in results)
        {
            var (hr, sr) = (Mean(r.Read, t => t.Entropy), Mean(r.Read, t => t.Surprisal));
            var (hg, sg) = (Mean(r.Generated, t => t.Entropy), Mean(r.Generated, t => t.Surprisal));
            numbers.Add(
                new KeyValue(
                    $"{r.Label}, read text",
                    $"H = {F(hr, "F3")} nats, surprisal = {F(sr, "F3")} nats (perplexity {F(Math.Exp(sr), "F1")})"
                )
            );
            if (r.Generated.Count > 0)
                numbers.Add(new KeyValue($"{r.Label}, generated", $"H = {F(hg, "F3")} nats, surprisal = {F(sg, "F3")} nats"));
            run.Headline($"mean entropy over read text (nats), {r.Label}", hr);
            run.Headline($"mean surprisal over read text (nats), {r.Label}", sr);
            if (r.Generated.Count > 0)
                run.Headline($"mean entropy over generations (nats), {r.Label}", hg);
        }
        report.Numbers(numbers);
        var first = results.Select(r => r.Read[0]).ToArray();
        static double[] Steps(EntropyTrace t, int count) => [.. Enumerable.Range(t.Offset, count).Select(x => (double)x)];
        report.Figure(
            run.Figure(
                new Figure(
                    "entropy-along-text",
                    $"H_t and surprisal along {first[0].Name}",
                    new Axis("position of the predicted token"),
                    new Axis("nats") { Min = 0 }
                )
                {
                    Series =
                    [
                        .. first.Select(
                            (t, i) =>
                                new LineSeries($"{results[i].Label}, H_t", Steps(t, t.Entropy.Length), t.Entropy)
                                {
                                    Color = Palette[0],
                                    Dashed = i > 0,
                                }
                        ),
                        new LineSeries($"{results[0].Label}, surprisal", Steps(first[0], first[0].Surprisal.Length), first[0].Surprisal)
                        {
                            Color = Palette[1],
                        },
                    ],
                }
            )
        );
        report.Figure(
            run.Figure(
                new Figure("entropy-histograms", "Distribution of H_t", new Axis("H_t (nats)"), new Axis("positions"))
                {
                    Series =
                    [
                        .. results
                            .SelectMany(r =>
                                new[]
                                {
                                    HistogramSeries.FromValues($"{r.Label}, read", r.Read.SelectMany(t => t.Entropy), 40),
                                    HistogramSeries.FromValues($"{r.Label}, generated", r.Generated.SelectMany(t => t.Entropy), 40),
                                }
                            )
                            .Where(h => h.Counts.Sum() > 0),
                    ],
                }
            )
        );
    }

    private static void HighEntropy(RunContext run, EntropyProfileOptions o, IReadOnlyList<ModelEntropy> results)
    {
        var report = run.Report;
        report.Section(
            "High-entropy positions",
            $"Batch rule: H_t ≥ τ_ρ, the ρ = {F(o.Quantile)} quantile of all read positions of a model; "
                + $"top-K rule: the {F(o.TopK)} highest H_t of each text. "
                + "Each token of the strips is coloured by the entropy of the distribution that "
                + "predicted it; [brackets] in the plain text mark the tokens predicted from a top-K position."
        );
        var numbers = new List<KeyValue>();
        foreach (var r in results)
        {
            var selection = HighEntropyPositions.ByBatchQuantile([.. r.Read.Select(x => x.Entropy)], o.Quantile);
            var high = r.Read.SelectMany((t, s) => selection.Positions[s].Select(i => t.Surprisal[i])).ToArray();
            var all = r.Read.Sum(t => t.Entropy.Length);
            var rest = r
                .Read.SelectMany((t, s) => t.Surprisal.Where((_, i) => !selection.Positions[s].Contains(i)))
                .DefaultIfEmpty(double.NaN)
                .Average();
            numbers.Add(
                new KeyValue(
                    $"{r.Label}: τ_ρ",
                    $"{F(selection.Threshold, "F3")} nats; {F(high.Length)} of {F(all)} positions "
                        + $"({F(100.0 * high.Length / all, "F1")}%); "
                        + $"surprisal there {F(high.DefaultIfEmpty(double.NaN).Average(), "F3")} nats against {F(rest, "F3")} elsewhere"
                )
            );
            run.Headline($"high-entropy threshold tau (nats), {r.Label}", selection.Threshold);
        }
        report.Numbers(numbers);

        var trained = results[0];
        var top = HighEntropyPositions.TopKPerSequence([.. trained.Read.Select(x => x.Entropy)], o.TopK);
        for (var s = 0; s < trained.Read.Count; s++)
        {
            var t = trained.Read[s];
            var shown = Math.Min(o.StripTokens, t.Entropy.Length);
            string Text(int i) => t.TokenTexts[t.Offset + i];
            report.Paragraph(
                $"{t.Name} ({trained.Label}), first {F(shown)} predicted tokens; top-{F(o.TopK)} positions: "
                    + string.Join(
                        ", ",
                        top[s]
                            .Select(i =>
                                $"“{Text(i).Trim()}” after “{t.Preceding[i].Replace('\n', ' ').Trim()}” (H = {F(t.Entropy[i], "F2")})"
                            )
                    )
                    + "."
            );
            report.Add(
                new TokenStrip([.. Enumerable.Range(0, shown).Select(i => new Token(Text(i), t.Entropy[i]))])
                {
                    ValueLabel = "entropy of the distribution that predicted the token (nats)",
                }
            );
            var marked = string.Concat(Enumerable.Range(0, shown).Select(i => top[s].Contains(i) ? $"[{Text(i)}]" : Text(i)));
            report.Add(new Preformatted(marked));
        }
        foreach (var g in trained.Generated.Take(2))
        {
            report.Paragraph($"{g.Name} ({trained.Label}, {Temperature(o.Temperature)}): the prompt is “{g.Prompt.Trim()}”.");
            report.Add(
                new TokenStrip([.. g.Entropy.Select((h, i) => new Token(g.TokenTexts[g.Offset + i], h))])
                {
                    ValueLabel = "entropy of the distribution the token was sampled from (nats)",
                }
            );
        }
    }
}

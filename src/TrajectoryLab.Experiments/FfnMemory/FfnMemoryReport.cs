// The report of ffn-memory: a few units per layer with their key's top prefixes (trigger token in «»,
// then the next token) and their value's top tokens; the agreement rate per layer (Geva et al.'s top-1, the top-k and
// the all-prefixes variants) against the shuffled-unit baseline, trained and random init; and the change in bits per
// token when each layer's MLP is zero- or mean-ablated, with bootstrap intervals over texts. Every number in a sentence
// is computed here from the result.
// References: Geva, Schuster, Berant & Levy (2021), "Transformer Feed-Forward Layers Are Key-Value Memories", EMNLP;
// Efron & Tibshirani (1993), ch. 13 (percentile bootstrap).
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.FfnMemory;

/// <summary>One unit's summary (a row of units.csv).</summary>
public sealed record UnitRow(
    string Model,
    int Layer,
    int Unit,
    double TopActivation,
    int TriggerNextId,
    string TriggerNext,
    int ValueTopId,
    string ValueTop,
    double ValueTopLogit,
    bool AgreesTop1,
    bool AgreesTopK,
    double PrefixAgreement
);

/// <summary>One layer's agreement rates against the shuffled baseline (a row of agreement.csv).</summary>
public sealed record AgreementRow(
    string Model,
    int Layer,
    string Rate,
    double Measured,
    double ShuffledMean,
    double ShuffledLower,
    double ShuffledUpper,
    double PermutationPValue
);

/// <summary>One layer's ablation (a row of ablation.csv): bits per token and its change from the unablated model, with a
/// percentile bootstrap interval over texts.</summary>
public sealed record AblationRow(
    string Ablation,
    int Layer,
    double BitsPerToken,
    double DeltaBitsPerToken,
    double DeltaLower,
    double DeltaUpper
);

/// <summary>Renders a <see cref="FfnMemoryResult"/>.</summary>
public static class FfnMemoryReport
{
    /// <summary>Writes every table, figure, reading and headline of <paramref name="result"/>.</summary>
    /// <param name="o">The options the result was measured with.</param>
    /// <param name="result">The measurement.</param>
    /// <param name="run">The run (tables, figures, report, headlines).</param>
    public static void Render(FfnMemoryOptions o, FfnMemoryResult result, RunContext run)
    {
        var model = result.Model;
        var tokens = result.Texts.Sum(t => t.Ids.Length);
        run.Report.Lead(
            $"The feed-forward layers of {o.Model.Name} ({model.Path}; {F(model.Layers)} layers, d_model {F(model.Width)}, "
                + $"d_mlp {F(result.MlpWidth)})"
                + $"{(result.Models.Length > 1 ? " and of its random-init twin" : "")} read as key–value memories (Geva et al. 2021), "
                + $"on {F(result.Texts.Count)} text(s) of {F(tokens)} tokens in all. Unit i of a layer has a key (column i of the "
                + "gate/input weights) and a value v_i (row i of W_out); its memory coefficient is hook_post[i], the MLP's hidden "
                + "activation after the nonlinearity (for a gated MLP act(x W_gate) ⊙ x W_in), and the MLP's output is "
                + "Σ_i hook_post[i] v_i. "
                + $"A key's pattern: the {F(o.TopPrefixes)} prefixes (of {F(result.Candidates)}: every position but BOS and the last) "
                + "with the largest coefficient at their last token, the trigger. "
                + "A value's tokens: the largest entries of head(v_i) = (g ⊙ v_i) W_U, the model's own head applied to v_i as if it "
                + "were the final norm's normalised input (g: the final RMSNorm weight; W_U: the unembedding, tied to the embedding "
                + "here when the model ties them). Geva et al. project with the output embedding alone, softmax(E v_i); multiplying by "
                + "the final norm's weight is what the model itself does to anything it writes into the residual stream, and softmax "
                + "does not change the order."
        );
        Examples(o, result, run);
        Agreement(o, result, run);
        if (result.Bits.Any(b => b.Ablation != "none"))
            CodeLength(o, result, run);
    }

    /// <summary>A prefix as text: up to <paramref name="context"/> tokens before the trigger, the trigger in «», the next token.</summary>
    public static string Snippet(TextTokens text, int position, int context)
    {
        static string Clean(string piece) => piece.Replace("\n", "⏎", StringComparison.Ordinal).Replace("\r", "", StringComparison.Ordinal);
        var first = Math.Max(1, position - context);
        var before = string.Concat(text.Pieces[first..position].Select(Clean));
        return $"{(first > 1 ? "…" : "")}{before}«{Clean(text.Pieces[position])}» → {Clean(text.Pieces[position + 1])}";
    }

    private static void Examples(FfnMemoryOptions o, FfnMemoryResult result, RunContext run)
    {
        string Token(int id) => result.TokenTexts[id].Replace("\n", "⏎", StringComparison.Ordinal);
        var rows = result
            .Units.Select(u => new UnitRow(
                u.Model,
                u.Layer,
                u.Unit,
                u.Activation.Length > 0 ? u.Activation[0] : double.NaN,
                u.Next.Length > 0 ? u.Next[0] : -1,
                u.Next.Length > 0 ? Token(u.Next[0]) : "",
                u.ValueTop[0],
                Token(u.ValueTop[0]),
                u.ValueTopLogit[0],
                u.Next.Length > 0 && u.Next[0] == u.ValueTop[0],
                u.Next.Length > 0 && u.ValueTop.Take(o.ValueTopK).Contains(u.Next[0]),
                u.Next.Length > 0 ? u.Next.Count(t => t == u.ValueTop[0]) / (double)u.Next.Length : double.NaN
            ))
            .ToList();
        run.Table("units", rows);
        run.Report.Section(
            "Keys and values, a few units per layer",
            $"For each layer of the {result.Models[0]} model, the {F(o.UnitsShown)} unit(s) whose value's top-{F(o.ValueTopK)} tokens "
                + "hold the next token of most of their top prefixes (ties: the larger top coefficient), each with its top "
                + $"{F(o.PrefixesShown)} prefixes (up to {F(o.SnippetTokens)} tokens of context, the trigger token in «», "
                + "→ the next token) and its value's top tokens through the head. units.csv lists every unit."
        );
        var lines = new List<string>();
        foreach (var layer in result.Units.Where(u => u.Model == result.Models[0]).GroupBy(u => u.Layer))
        {
            var chosen = layer
                .OrderByDescending(u => u.Next.Count(t => u.ValueTop.Take(o.ValueTopK).Contains(t)))
                .ThenByDescending(u => u.Activation.Length > 0 ? u.Activation[0] : double.NegativeInfinity)
                .ThenBy(u => u.Unit)
                .Take(o.UnitsShown);
            foreach (var u in chosen)
            {
                var hits = u.Next.Count(t => u.ValueTop.Take(o.ValueTopK).Contains(t));
                lines.Add(
                    $"layer {F(u.Layer)}, unit {F(u.Unit)}: value → {string.Join(" ", u.ValueTop.Take(8).Select(t => $"«{Token(t)}»"))}; "
                        + $"{F(hits)} of {F(u.Next.Length)} top prefixes are followed by one of its top-{F(o.ValueTopK)} tokens"
                );
                for (var p = 0; p < Math.Min(o.PrefixesShown, u.Next.Length); p++)
                    lines.Add($"    {F(u.Activation[p], "F3")}  {Snippet(result.Texts[u.Text[p]], u.Position[p], o.SnippetTokens)}");
            }
        }
        run.Report.Add(new Preformatted(string.Join("\n", lines)));
    }

    /// <summary>The rates of one model's layer and its shuffled baseline.</summary>
    private sealed record LayerAgreement(
        string Model,
        int Layer,
        AgreementRates Rates,
        (ShuffledRate Top1, ShuffledRate TopK, ShuffledRate Prefixes) Shuffled
    );

    private static void Agreement(FfnMemoryOptions o, FfnMemoryResult result, RunContext run)
    {
        var layers = result.Model.Layers;
        var readings = new List<LayerAgreement>();
        foreach (var (m, mi) in result.Models.Select((m, i) => (m, i)))
            for (var l = 0; l < layers; l++)
            {
                var units = result.Units.Where(u => u.Model == m && u.Layer == l).OrderBy(u => u.Unit).ToList();
                int[][] values = [.. units.Select(u => u.ValueTop)],
                    next = [.. units.Select(u => u.Next)];
                readings.Add(
                    new LayerAgreement(
                        m,
                        l,
                        FfnMemoryMeasures.Agreement(values, next, o.ValueTopK),
                        FfnMemoryMeasures.Shuffled(values, next, o.ValueTopK, o.Permutations, (ulong)(o.Seed + 1000 * mi + l))
                    )
                );
            }
        var rates = new (string Name, Func<AgreementRates, double> Of, Func<LayerAgreement, ShuffledRate> Shuffled)[]
        {
            ("top-1", r => r.Top1, a => a.Shuffled.Top1),
            ($"top-{F(o.ValueTopK)}", r => r.TopK, a => a.Shuffled.TopK),
            ("prefixes", r => r.Prefixes, a => a.Shuffled.Prefixes),
        };
        run.Table(
            "agreement",
            readings.SelectMany(a =>
                rates.Select(r => new AgreementRow(
                    a.Model,
                    a.Layer,
                    r.Name,
                    r.Of(a.Rates),
                    r.Shuffled(a).Mean,
                    r.Shuffled(a).Lower,
                    r.Shuffled(a).Upper,
                    r.Shuffled(a).PValue
                ))
            )
        );
        run.Report.Section(
            "Agreement of values with keys",
            "Three rates per layer, each over the layer's units. Top-1 (Geva et al.'s agreement rate): the fraction of units whose "
                + "value's top token is the next token of their key's top-1 prefix. "
                + $"Top-{F(o.ValueTopK)}: the fraction whose value's {F(o.ValueTopK)} top tokens hold that next token. "
                + $"Prefixes: the mean over units of the fraction of their {F(o.TopPrefixes)} top prefixes whose next token is the "
                + "value's top token. Shuffled: the same rate with unit i's key paired with the value of unit π(i), for "
                + $"{F(o.Permutations)} uniform random permutations π of the layer's units: their mean, [2.5 %, 97.5 %] quantiles, "
                + "and the one-sided permutation p-value of the measured rate, (1 + #{shuffled ≥ measured}) / (1 + permutations). "
                + "A rate above its shuffled band means values predict what follows their own keys' prefixes, beyond the layer's "
                + "overall preference for some tokens."
        );
        var table = readings
            .Select(a =>
                (IReadOnlyList<string>)
                    [
                        a.Model,
                        F(a.Layer),
                        .. rates.SelectMany(r =>
                            new[]
                            {
                                F(r.Of(a.Rates), "F3"),
                                $"{F(r.Shuffled(a).Mean, "F3")} [{F(r.Shuffled(a).Lower, "F3")}, {F(r.Shuffled(a).Upper, "F3")}]",
                                F(r.Shuffled(a).PValue, "G2"),
                            }
                        ),
                    ]
            )
            .ToList();
        run.Report.Add(new Preformatted(Table(["model", "layer", .. rates.SelectMany(r => new[] { r.Name, "shuffled", "p" })], table)));
        foreach (var (name, of, shuffled) in rates.Take(2))
        {
            var series = new List<FigureSeries>();
            foreach (var (m, i) in result.Models.Select((m, i) => (m, i)))
            {
                var mine = readings.Where(a => a.Model == m).OrderBy(a => a.Layer).ToList();
                double[] x = [.. mine.Select(a => (double)a.Layer)];
                var color = Palette[i];
                series.Add(
                    new BandSeries(
                        $"{m}, shuffled [2.5 %, 97.5 %]",
                        x,
                        [.. mine.Select(a => shuffled(a).Lower)],
                        [.. mine.Select(a => shuffled(a).Upper)]
                    )
                    {
                        Color = "#40" + color[1..],
                    }
                );
                series.Add(
                    new LineSeries($"{m}, shuffled mean", x, [.. mine.Select(a => shuffled(a).Mean)]) { Dashed = true, Color = color }
                );
                series.Add(new LineSeries($"{m}", x, [.. mine.Select(a => of(a.Rates))]) { Markers = true, Color = color });
                var measured = mine.Select(a => of(a.Rates)).ToArray();
                var above = mine.Count(a => of(a.Rates) > shuffled(a).Upper);
                run.Report.Paragraph(
                    $"{m}, {name} agreement: "
                        + string.Join(", ", mine.Select(a => $"{F(of(a.Rates), "F3")} (shuffled {F(shuffled(a).Mean, "F3")})"))
                        + " "
                        + $"in layers 0 … {F(layers - 1)}; above the shuffled 97.5 % quantile in {F(above)} of {F(layers)} layers."
                );
                run.Headline(
                    $"{m}: {name} agreement rate, mean over layers",
                    measured.Average(),
                    "breakdown: a layer has no unit with a prefix"
                );
                run.Headline(
                    $"{m}: {name} agreement rate, shuffled, mean over layers",
                    mine.Average(a => shuffled(a).Mean),
                    "breakdown: a layer has no unit with a prefix"
                );
            }
            run.Report.Figure(
                run.Figure(
                    new Figure(
                        $"agreement-{(name == "top-1" ? "top1" : "topk")}",
                        $"Agreement rate ({name}) per layer vs shuffled units",
                        new Axis("layer"),
                        new Axis("fraction of units") { Min = 0 }
                    )
                    {
                        Series = series,
                        Legend = LegendPosition.OutsideRight,
                    }
                )
            );
        }
    }

    private static void CodeLength(FfnMemoryOptions o, FfnMemoryResult result, RunContext run)
    {
        var trained = result.Models[0];
        var baseline = result.Bits.Single(b => b.Model == trained && b.Ablation == "none");
        double PerToken(BitsReading b) => b.TextBits.Sum() / b.TextTokens.Sum();
        run.Report.Section(
            "Code length with each MLP ablated",
            "Bits per token: Σ −log₂ p(next token) over every position of every text (the head at every position, BOS "
                + "predicting the first token) divided by the tokens predicted. Zero ablation replaces hook_mlp_out of one layer by 0 "
                + "at every position (the MLP removed; the residual stream skips it); mean ablation by its mean over every position "
                + "of the texts (BOS included) in the unablated pass, the same texts. Δ is the ablated minus the unablated value, with "
                + $"a 95 % percentile bootstrap interval over texts ({F(o.BootstrapResamples)} resamples; a resample's Δ is "
                + "Σ_texts Δbits / Σ_texts tokens)."
        );
        foreach (var b in result.Bits.Where(b => b.Ablation == "none"))
            run.Report.Paragraph($"{b.Model}, unablated: {F(PerToken(b), "F4")} bits per token over {F(b.TextTokens.Sum())} tokens.");
        run.Headline($"{trained}: bits per token, unablated", PerToken(baseline));
        var rows = new List<AblationRow>();
        var texts = Enumerable.Range(0, baseline.TextBits.Length).ToArray();
        foreach (var b in result.Bits.Where(b => b.Ablation != "none"))
        {
            var interval = BootstrapInterval.Of(
                texts,
                s => s.Sum(i => b.TextBits[i] - baseline.TextBits[i]) / s.Sum(i => b.TextTokens[i]),
                o.BootstrapResamples,
                (ulong)(o.Seed + 17 * b.Layer + (b.Ablation == "zero" ? 0 : 7))
            );
            rows.Add(new AblationRow(b.Ablation, b.Layer, PerToken(b), interval.Value, interval.Lower, interval.Upper));
            run.Headline($"{trained}: Δ bits per token, {b.Ablation} ablation, layer {F(b.Layer)}", interval.Value);
        }
        run.Table("ablation", rows);
        run.Report.Add(
            new Preformatted(
                Table(
                    ["ablation", "layer", "bits/token", "Δ bits/token", "95 % interval"],
                    rows.Select(r =>
                        (IReadOnlyList<string>)
                            [
                                r.Ablation,
                                F(r.Layer),
                                F(r.BitsPerToken, "F4"),
                                F(r.DeltaBitsPerToken, "F4"),
                                $"[{F(r.DeltaLower, "F4")}, {F(r.DeltaUpper, "F4")}]",
                            ]
                    )
                )
            )
        );
        var series = new List<FigureSeries>();
        foreach (var (kind, i) in new[] { ("zero", 0), ("mean", 1) })
        {
            var mine = rows.Where(r => r.Ablation == kind).OrderBy(r => r.Layer).ToList();
            double[] x = [.. mine.Select(r => (double)r.Layer)];
            series.Add(
                new BandSeries($"{kind}, 95 % interval", x, [.. mine.Select(r => r.DeltaLower)], [.. mine.Select(r => r.DeltaUpper)])
                {
                    Color = "#40" + Palette[i][1..],
                }
            );
            series.Add(
                new LineSeries($"{kind} ablation", x, [.. mine.Select(r => r.DeltaBitsPerToken)]) { Markers = true, Color = Palette[i] }
            );
            var worst = mine.MaxBy(r => r.DeltaBitsPerToken)!;
            run.Report.Paragraph(
                $"{kind} ablation: Δ bits/token {string.Join(", ", mine.Select(r => F(r.DeltaBitsPerToken, "F3")))} in layers 0 … "
                    + $"{F(mine.Count - 1)}; the largest at layer {F(worst.Layer)} ({F(worst.DeltaBitsPerToken, "F3")}, "
                    + $"{F(100 * worst.DeltaBitsPerToken / PerToken(baseline), "F1")} % of the unablated code length)."
            );
        }
        run.Report.Figure(
            run.Figure(
                new Figure(
                    "ablation-delta-bits",
                    "Δ bits per token with one layer's MLP ablated",
                    new Axis("layer"),
                    new Axis("Δ bits per token") { Log = rows.All(r => r.DeltaLower > 0) }
                )
                {
                    Subtitle = rows.All(r => r.DeltaLower > 0) ? "log scale" : null,
                    Series = series,
                    Legend = LegendPosition.OutsideRight,
                }
            )
        );
    }
}

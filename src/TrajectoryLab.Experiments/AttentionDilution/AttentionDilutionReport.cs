// Tables, figures and the report of attention-dilution; every number in a sentence is computed from the run's data.
// References: Zhai et al. (2023), ICML (attention entropy); Press et al. (2022), ICLR (train short, test long);
// Liu et al. (2024), TACL 12 (lost in the middle); Roy & Vetterli (2007), EUSIPCO (effective rank).
using TrajectoryLab.Experiments;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.DynamicsText;

namespace TrajectoryLab.Experiments.AttentionDilution;

/// <summary>Writes what attention-dilution measured.</summary>
public static class AttentionDilutionReport
{
    /// <summary>Writes the tables, figures, headlines and report.</summary>
    /// <param name="run">The run.</param>
    /// <param name="o">The options.</param>
    /// <param name="profiles">One profile per model, trained first.</param>
    /// <param name="texts">The texts read.</param>
    /// <param name="folder">The model folder.</param>
    /// <param name="spec">The architecture.</param>
    public static void Write(RunContext run, AttentionDilutionOptions o, List<DilutionProfile> profiles, IReadOnlyList<TokenizedText> texts,
        string folder, Torch.Models.ModelSpec spec)
    {
        var length = texts.Max(t => t.Tokens.Length);
        var context = spec.MaxPositionEmbeddings;
        var span = Math.Min(context, length - context); // width of the compared regions on each side of the context length
        Tables(run, profiles, spec, length);

        var report = run.Report;
        report.Lead($"{texts.Count} text(s) of {F(texts.Min(t => t.Tokens.Length))}–{F(length)} tokens (BOS included) read in one prefill each by {o.Model.Name} " +
            $"({folder}: {F(spec.NumLayers)} layers × {F(spec.NumHeads)} heads, RoPE θ = {F(spec.RopeTheta)}) and by its random-init twin. " +
            $"config.json declares max_position_embeddings = {F(context)}, the context it was trained with; RoPE has no position table, so longer " +
            $"texts run and position {F(context)} onward is extrapolation. Attention entropy H_t of query t over its t visible keys is divided by ln t " +
            "(1 = uniform attention over everything seen, the dilution limit; 0 = one key).");

        report.Section("Attention entropy against position", span > 0
            ? $"Mean over heads and texts, in windows of {F(o.Window)} positions. The compared regions are the {F(span)} positions before and after position {F(context)}."
            : $"No text is longer than the training context ({F(context)} tokens): nothing past it is measured.");
        var series = new List<FigureSeries>();
        foreach (var p in profiles)
            for (var l = 0; l < spec.NumLayers; l++)
            {
                var mean = Mean(p.Normalised[l], length);
                var (x, y) = mean.Windows(o.Window);
                series.Add(new LineSeries($"{p.Label}, layer {l}", x, y) { Dashed = p != profiles[0], Color = Palette[l % Palette.Length] });
            }
        if (span > 0) series.Add(new ReferenceLine($"training context ({F(context)})", ReferenceOrientation.Vertical, context));
        report.Figure(run.Figure(new Figure("attention-entropy", "Normalised attention entropy H_t / ln t by layer", new Axis("query position t"), new Axis("H_t / ln t") { Min = 0, Max = 1 })
        { Series = series, Legend = LegendPosition.OutsideRight }));
        var rows = new List<KeyValue>();
        foreach (var p in profiles)
            for (var l = 0; l < spec.NumLayers; l++)
            {
                var mean = Mean(p.Normalised[l], length);
                var inside = span > 0 ? mean.RangeMean(context - span, context) : mean.RangeMean(length / 2, length); // short texts: their second half
                rows.Add(new KeyValue($"{p.Label}, layer {l}", span > 0
                    ? $"H/ln t = {F(inside, "F3")} before, {F(mean.RangeMean(context, context + span), "F3")} after; H = {F(p.Raw[l].RangeMean(context - span, context), "F3")} → {F(p.Raw[l].RangeMean(context, context + span), "F3")} nats"
                    : $"H/ln t = {F(inside, "F3")} over positions {F(length / 2)}–{F(length - 1)}"));
                if (span > 0 && l == spec.NumLayers - 1) run.Headline($"top-layer H/ln t after minus before context, {p.Label}", mean.RangeMean(context, context + span) - inside);
            }
        report.Numbers(rows);
        if (profiles.Sum(p => p.BadRows) > 0) report.Paragraph($"{F(profiles.Sum(p => p.BadRows))} attention rows had NaN or negative weights and were left out.");

        var heat = profiles[0];
        var windows = (length + o.Window - 1) / o.Window;
        var cells = Enumerable.Range(0, spec.NumLayers * spec.NumHeads)
            .Select(r => Enumerable.Range(0, windows).Select(w => heat.Normalised[r / spec.NumHeads][r % spec.NumHeads].RangeMean(w * o.Window, (w + 1) * o.Window)).ToArray()).ToArray();
        report.Paragraph($"Every head of the {heat.Label} model: rows are layer × {F(spec.NumHeads)} + head (layer 0 at the bottom), columns windows of {F(o.Window)} positions.");
        report.Figure(run.Figure(new Figure("attention-entropy-heads", $"H_t / ln t per head ({heat.Label})", new Axis("query position t"), new Axis("layer × heads + head"))
        { Series = [new HeatmapSeries("H/ln t", 0, windows * o.Window, 0, spec.NumLayers * spec.NumHeads, cells) { ColorAxisTitle = "H_t / ln t" }] }));

        Drift(run, o, profiles, length, context, span);
        Retrieval(run, o, profiles);
    }

    private static PositionProfile Mean(PositionProfile[] heads, int length)
    {
        var mean = new PositionProfile(length);
        for (var t = 0; t < length; t++) mean.Add(t, heads.Select(h => h.Mean(t)).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average());
        return mean;
    }

    private static void Tables(RunContext run, List<DilutionProfile> profiles, Torch.Models.ModelSpec spec, int length)
    {
        run.Table("attention-entropy", ["model", "layer", "head", "position", "normalised_entropy"],
            profiles.SelectMany(p => Enumerable.Range(0, spec.NumLayers).SelectMany(l => Enumerable.Range(0, spec.NumHeads).SelectMany(h =>
                Enumerable.Range(1, length - 1).Select(t => new object[] { p.Label, l, h, t, p.Normalised[l][h].Mean(t) })))));
        run.Table("position-statistics", ["model", "position", "residual_norm", "next_token_entropy_nats", "surprisal_nats"],
            profiles.SelectMany(p => Enumerable.Range(0, length).Select(t => new object[] { p.Label, t, p.Norm.Mean(t), p.Entropy.Mean(t), p.Surprisal.Mean(t) })));
        run.Table("effective-rank", ["model", "text", "window_start", "effective_rank", "stable_rank", "breakdown"],
            profiles.SelectMany(p => p.Ranks.Select(r => new object[] { p.Label, r.Text, r.Start, r.Rank.EffectiveRank, r.Rank.StableRank, r.Rank.Breakdown.ToString() })));
        run.Table("retrieval", ["model", "relevant_position", "trial", "top_among_values", "top_overall", "probability_share", "tokens"],
            profiles.SelectMany(p => p.Retrieval.Select(r => new object[] { p.Label, r.Position, r.Trial, r.TopAmongValues, r.TopOverall, r.Share, r.Tokens })));
    }

    private static void Drift(RunContext run, AttentionDilutionOptions o, List<DilutionProfile> profiles, int length, int context, int span)
    {
        var report = run.Report;
        report.Section("Hidden-state drift past the training length",
            $"Top residual norm, next-token entropy and surprisal (mean over texts, windows of {F(o.Window)}), and the effective rank " +
            $"(Roy–Vetterli) of the top residual over windows of {F(o.Window)} consecutive positions.");
        FigureSeries Ref() => new ReferenceLine($"training context ({F(context)})", ReferenceOrientation.Vertical, context);
        LineSeries Line(DilutionProfile p, PositionProfile q, string what, string color)
        {
            var (x, y) = q.Windows(o.Window);
            return new LineSeries($"{p.Label}{what}", x, y) { Dashed = p != profiles[0], Color = color };
        }
        report.Figure(run.Figure(new Figure("residual-norm", "‖h‖ of the top residual", new Axis("position"), new Axis("‖h‖"))
        { Series = [.. profiles.Select(p => Line(p, p.Norm, "", Palette[0])), .. span > 0 ? new[] { Ref() } : []] }));
        report.Figure(run.Figure(new Figure("next-token", "Next-token entropy and surprisal", new Axis("position"), new Axis("nats") { Min = 0 })
        { Series = [.. profiles.SelectMany(p => new[] { Line(p, p.Entropy, ", entropy", Palette[0]), Line(p, p.Surprisal, ", surprisal", Palette[1]) }), .. span > 0 ? new[] { Ref() } : []] }));
        var rankSeries = profiles.Select(p =>
        {
            var byStart = p.Ranks.GroupBy(r => r.Start).OrderBy(g => g.Key).Select(g => (X: g.Key + o.Window / 2.0, Y: g.Average(r => r.Rank.EffectiveRank))).ToArray();
            return (FigureSeries)new LineSeries(p.Label, [.. byStart.Select(b => b.X)], [.. byStart.Select(b => b.Y)]) { Markers = true, Dashed = p != profiles[0] };
        }).ToList();
        report.Figure(run.Figure(new Figure("effective-rank", $"Effective rank of the top residual over {F(o.Window)}-position windows", new Axis("window centre"), new Axis("effective rank") { Min = 0 })
        { Series = [.. rankSeries, .. span > 0 ? new[] { Ref() } : []] }));

        if (span <= 0) return;
        double Rank(DilutionProfile p, int from, int to) => p.Ranks.Where(r => r.Start >= from && r.Start + o.Window <= to).Select(r => r.Rank.EffectiveRank).DefaultIfEmpty(double.NaN).Average();
        report.Numbers([.. profiles.SelectMany(p => new[]
        {
            new KeyValue($"{p.Label}: ‖h‖", $"{F(p.Norm.RangeMean(context - span, context))} before → {F(p.Norm.RangeMean(context, context + span))} after"),
            new KeyValue($"{p.Label}: next-token entropy", $"{F(p.Entropy.RangeMean(context - span, context), "F3")} → {F(p.Entropy.RangeMean(context, context + span), "F3")} nats"),
            new KeyValue($"{p.Label}: surprisal", $"{F(p.Surprisal.RangeMean(context - span, context), "F3")} → {F(p.Surprisal.RangeMean(context, context + span), "F3")} nats"),
            new KeyValue($"{p.Label}: effective rank", $"{F(Rank(p, context - span, context), "F1")} → {F(Rank(p, context, context + span), "F1")}"),
        })], $"the {F(span)} positions before position {F(context)} → the {F(span)} after");
        foreach (var p in profiles)
            run.Headline($"surprisal after minus before context (nats), {p.Label}", p.Surprisal.RangeMean(context, context + span) - p.Surprisal.RangeMean(context - span, context));
    }

    private static void Retrieval(RunContext run, AttentionDilutionOptions o, List<DilutionProfile> profiles)
    {
        if (o.Retrieval.Pairs == 0) return;
        var report = run.Report;
        var pairs = o.Retrieval.Pairs;
        var tokens = profiles[0].Retrieval.Select(r => r.Tokens).ToArray();
        report.Section("Key–value retrieval (lost in the middle)",
            $"Contexts of {F(pairs)} “key: value.” pairs drawn from {F(o.Retrieval.Words.Length)} words ({F(tokens.Min())}–{F(tokens.Max())} tokens), then “key:”; " +
            $"{F(o.Retrieval.Trials)} contexts per position of the queried pair (the same words at every position, only the order rotated). " +
            $"A query counts as retrieved when the first token of the right value is the most probable of the {F(pairs)} values' first tokens; chance is 1/{F(pairs)} = {F(1.0 / pairs, "F3")}.");
        var series = new List<FigureSeries>();
        var rows = new List<KeyValue>();
        foreach (var p in profiles)
        {
            var byPosition = p.Retrieval.GroupBy(r => r.Position).OrderBy(g => g.Key).ToArray();
            series.Add(new LineSeries($"{p.Label}, ranked first among values", [.. byPosition.Select(g => (double)g.Key)], [.. byPosition.Select(g => g.Average(r => r.TopAmongValues ? 1.0 : 0.0))]) { Markers = true, Dashed = p != profiles[0] });
            var accuracy = p.Retrieval.Average(r => r.TopAmongValues ? 1.0 : 0.0);
            var n = p.Retrieval.Select(r => r.Trial).Distinct().Count(); // independent word draws: the positions of one draw share its words
            var se = Math.Sqrt(1.0 / pairs * (1 - 1.0 / pairs) / n); // binomial standard error of the accuracy under chance
            var perPosition = byPosition.Select(g => g.Average(r => r.TopAmongValues ? 1.0 : 0.0)).ToArray();
            var unchanged = p.Retrieval.GroupBy(r => r.Trial).Count(g => g.Select(r => r.TopAmongValues).Distinct().Count() == 1);
            rows.Add(new KeyValue(p.Label, $"accuracy {F(accuracy, "F3")} (chance {F(1.0 / pairs, "F3")} ± {F(se, "F3")} s.e. over N = {F(n)} independent word draws), from {F(perPosition.Min(), "F3")} to {F(perPosition.Max(), "F3")} over positions; " +
                $"{F(unchanged)} of {F(n)} draws score the same at every position (the answer follows the words, not where the pair sits), " +
                $"ranked first over the whole vocabulary {F(p.Retrieval.Average(r => r.TopOverall ? 1.0 : 0.0), "F3")}, mean probability share {F(p.Retrieval.Average(r => r.Share), "F3")}; " +
                $"{((accuracy - 1.0 / pairs) / se is var z && z > 3 ? "above chance by " + F(z, "F1") + " s.e." : "not distinguishable from chance at 3 s.e. (" + F((accuracy - 1.0 / pairs) / se, "F1") + ")")}"));
            run.Headline($"retrieval accuracy, {p.Label}", accuracy);
        }
        series.Add(new ReferenceLine($"chance 1/{F(pairs)}", ReferenceOrientation.Horizontal, 1.0 / pairs));
        report.Figure(run.Figure(new Figure("retrieval", "Retrieval accuracy against the position of the queried pair", new Axis("position of the queried pair"), new Axis("accuracy") { Min = 0, Max = 1 }) { Series = series }));
        report.Numbers(rows);
        report.Paragraph("The default model is a small language model trained on the Brown corpus only, with no list-lookup data: " +
            "accuracy near chance means it cannot retrieve a value from a list, and a U-shape over positions (the lost-in-the-middle effect) can only be read when the accuracy is well above chance. " +
            "An accuracy above chance with a share that grows toward the last pairs is recency (copying a recent value), not retrieval.");
    }
}

// The report of lens: the identity checks (the logit lens at the last site is the model's logits; the tuned lens's last
// translator stays at identity), the tuned lens's training curve, where in depth the next-token distribution forms
// (entropy, KL to the final distribution, top-1 agreement and rank of the final token over the sites) for natural text,
// greedy continuations and text past the training context, trained against random init, the site × position heat maps,
// and what changes inside a greedy loop and past the context. Every number in a sentence is computed here.
// References: nostalgebraist (2020), "interpreting GPT: the logit lens"; Belrose et al. (2023), arXiv:2303.08112;
// Holtzman et al. (2020), ICLR (loops in greedy decoding).
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Lens;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;

namespace TrajectoryLab.Experiments.Lens;

/// <summary>One measure's mean at one site (a row of depth.csv).</summary>
public sealed record LensDepthRow(
    string Model,
    string Lens,
    string Source,
    int Site,
    int Positions,
    double EntropyNats,
    double KlToFinalNats,
    double Top1Agreement,
    double MeanLog2Rank,
    double NextTokenSurprisalNats
);

/// <summary>One site × position of one text (a row of positions.csv).</summary>
public sealed record LensPositionRow(
    string Model,
    string Lens,
    string Source,
    string Text,
    int Site,
    int Position,
    int Token,
    double EntropyNats,
    double KlToFinalNats,
    bool AgreesTop1,
    int RankOfFinalTop1
);

/// <summary>One training step of a tuned lens at one site (a row of tuned-lens-curve.csv).</summary>
public sealed record LensCurveRow(string Model, int Step, int Site, double KlNats);

/// <summary>Renders a <see cref="LensResult"/>.</summary>
public static class LensReport
{
    private static readonly string[] Sources = ["natural", "greedy", "past context"];

    /// <summary>Writes every table, figure, reading and headline of <paramref name="result"/>.</summary>
    public static void Render(LensOptions o, LensResult result, RunContext run)
    {
        var sites = result.Model.Layers + 1;
        var lenses = result.Fits.Count > 0 ? new[] { "logit", "tuned" } : ["logit"];
        run.Report.Lead(
            $"Where in depth the next-token distribution of {o.Model.Name} ({result.Model.Path}; {F(result.Model.Layers)} layers, "
                + $"d_model {F(result.Model.Width)}){(result.Models.Length > 1 ? " and of its random-init twin" : "")} forms. "
                + "Site s is the residual stream after s blocks (s = 0: the embeddings). The logit lens reads site s through the "
                + "model's own final norm and unembedding; the tuned lens first applies a per-site affine translator "
                + "T_s(h) = h + h A_s + b_s trained to minimise KL(final ‖ lens) (Belrose et al. 2023). Per site and position: the "
                + "entropy of the lens distribution, its KL from the model's final distribution, whether its top-1 token is the "
                + "final top-1, and the rank of that token in it. Entropies and KLs in nats."
        );
        Checks(result, run, sites);
        Training(result, run, sites);
        var rows = DepthRows(result, lenses, sites);
        run.Table("depth", rows);
        run.Table("positions", PositionRows(result, lenses));
        Depth(result, run, rows, lenses, sites);
        Heatmaps(result, run, lenses, sites);
        Loops(result, run, lenses, sites);
        PastContext(result, run, lenses, sites);
    }

    private static LensMetrics? Of(LensReading r, string lens) => lens == "logit" ? r.Logit : r.Tuned;

    private static void Checks(LensResult result, RunContext run, int sites)
    {
        var worst = result.Traces.Max(t => t.Reading.LastSiteMaxDifference);
        run.Report.Section(
            "Identities",
            "The logit lens at the last site is the model's own head applied to the last block's output, so it must equal the "
                + "logits exactly; a tuned lens trained from identity has no reason to move its last translator, whose lens is "
                + "already exact (‖A_L‖_F/√d is its distance from identity)."
        );
        var checks = new List<Comparison> { new("max |logit lens at site L − logits|, every text", worst, 0, 0) };
        foreach (var fit in result.Fits)
            checks.Add(new($"{fit.Model}: ‖A_L‖_F/√d of the last translator", fit.DistanceFromIdentity[^1], 0, 1e-3));
        run.Report.Checks(checks);
        run.Headline("logit lens at the last site = logits", worst == 0 ? "exact" : $"differs by {F(worst)}");
    }

    private static void Training(LensResult result, RunContext run, int sites)
    {
        if (result.Fits.Count == 0)
            return;
        run.Report.Section(
            "The tuned lens",
            string.Join(
                " ",
                result.Fits.Select(f =>
                    $"{f.Model}: {f.Origin} ({F(f.Curve.Length)} steps on {F(f.Windows)} windows of {F(f.WindowTokens)} tokens; "
                    + $"weights {f.Weights[..Math.Min(16, f.Weights.Length)]})."
                )
            )
        );
        run.Table(
            "tuned-lens-curve",
            result.Fits.SelectMany(f => f.Curve.SelectMany((c, step) => c.Select((kl, s) => new LensCurveRow(f.Model, step, s, kl))))
        );
        foreach (var fit in result.Fits.Where(f => f.Curve.Length > 0))
        {
            var steps = Enumerable.Range(1, fit.Curve.Length).Select(i => (double)i).ToArray();
            run.Report.Figure(
                run.Figure(
                    new Figure(
                        $"tuned-lens-training-{Slug(fit.Model)}",
                        $"Tuned-lens training, {fit.Model}: KL(final ‖ lens) per site",
                        new Axis("step"),
                        new Axis("KL (nats), batch mean")
                    )
                    {
                        Series =
                        [
                            .. Enumerable
                                .Range(0, sites)
                                .Select(s => new LineSeries($"site {s}", steps, [.. fit.Curve.Select(c => c[s])])
                                {
                                    Color = Palette[s % Palette.Length],
                                }),
                        ],
                    }
                )
            );
        }
        run.Report.Numbers(
            [
                .. result.Fits.SelectMany(f =>
                    f.DistanceFromIdentity.Select((d, s) => KeyValue.Of($"{f.Model}: ‖A_{s}‖_F/√d (site {s})", d))
                ),
            ],
            "Distance of each translator from identity"
        );
    }

    private static List<LensDepthRow> DepthRows(LensResult result, string[] lenses, int sites)
    {
        var rows = new List<LensDepthRow>();
        foreach (var model in result.Models)
        foreach (var lens in lenses)
        foreach (var source in Sources)
        {
            var traces = result.Traces.Where(t => t.Model == model && t.Source == source && Of(t.Reading, lens) is not null).ToList();
            if (traces.Count == 0)
                continue;
            for (var s = 0; s < sites; s++)
            {
                var m = traces.Select(t => Of(t.Reading, lens)!).ToList();
                rows.Add(
                    new LensDepthRow(
                        model,
                        lens,
                        source,
                        s,
                        m.Sum(x => x.Entropy[s].Length),
                        Mean(m.SelectMany(x => x.Entropy[s])),
                        Mean(m.SelectMany(x => x.KlToFinal[s])),
                        Mean(m.SelectMany(x => x.AgreesTop1[s].Select(a => a ? 1.0 : 0.0))),
                        Mean(m.SelectMany(x => x.RankOfFinalTop1[s].Select(r => Math.Log2(r)))),
                        Mean(m.SelectMany(x => x.NextTokenSurprisal[s]))
                    )
                );
            }
        }
        return rows;
    }

    private static IEnumerable<LensPositionRow> PositionRows(LensResult result, string[] lenses) =>
        from t in result.Traces
        from lens in lenses
        let m = Of(t.Reading, lens)
        where m is not null
        from s in Enumerable.Range(0, m.Entropy.Length)
        from p in Enumerable.Range(0, t.Reading.Positions)
        select new LensPositionRow(
            t.Model,
            lens,
            t.Source,
            t.Text,
            s,
            p,
            t.Tokens[p],
            m.Entropy[s][p],
            m.KlToFinal[s][p],
            m.AgreesTop1[s][p],
            m.RankOfFinalTop1[s][p]
        );

    private static void Depth(LensResult result, RunContext run, List<LensDepthRow> rows, string[] lenses, int sites)
    {
        run.Report.Section(
            "Over depth",
            "Each measure per site, mean over every position of every text of a kind. The final distribution's entropy is "
                + "the last site's. Entropy reduction through depth is the fall of these curves; the KL says how far the "
                + "site's reading still is from what the model will predict."
        );
        var x = Enumerable.Range(0, sites).Select(s => (double)s).ToArray();
        var measures = new (string Name, string Axis, Func<LensDepthRow, double> Get)[]
        {
            ("entropy", "entropy (nats)", r => r.EntropyNats),
            ("kl", "KL(final ‖ lens) (nats)", r => r.KlToFinalNats),
            ("top1", "top-1 agreement with the final prediction", r => r.Top1Agreement),
            ("log-rank", "log₂ rank of the final top-1 token", r => r.MeanLog2Rank),
        };
        foreach (var source in Sources.Where(src => rows.Any(r => r.Source == src)))
            run.Report.Figure(
                run.Figure(
                    new Figure($"depth-{Slug(source)}", $"Lenses over depth, {source} text", new Axis("site"), new Axis(""))
                    {
                        Panels =
                        [
                            .. measures.Select(m => new Figure(m.Name, m.Axis, new Axis("site s (blocks applied)"), new Axis(m.Axis))
                            {
                                Series =
                                [
                                    .. result
                                        .Models.SelectMany(
                                            (model, mi) =>
                                                lenses.Select(
                                                    (lens, li) =>
                                                        new LineSeries(
                                                            $"{model}, {lens} lens",
                                                            x,
                                                            [
                                                                .. Enumerable
                                                                    .Range(0, sites)
                                                                    .Select(s =>
                                                                        rows.Where(r =>
                                                                                r.Model == model
                                                                                && r.Lens == lens
                                                                                && r.Source == source
                                                                                && r.Site == s
                                                                            )
                                                                            .Select(m.Get)
                                                                            .DefaultIfEmpty(double.NaN)
                                                                            .First()
                                                                    ),
                                                            ]
                                                        )
                                                        {
                                                            Color = Palette[mi * 2 + li],
                                                            Dashed = lens == "logit",
                                                            Markers = true,
                                                        }
                                                )
                                        )
                                        .Where(series => series.Y.Any(double.IsFinite)), // a model without a tuned lens
                                ],
                            }),
                        ],
                        Width = 1200,
                        Height = 900,
                    }
                )
            );
        foreach (var model in result.Models)
        foreach (var lens in lenses)
        {
            var natural = rows.Where(r => r.Model == model && r.Lens == lens && r.Source == "natural").OrderBy(r => r.Site).ToList();
            if (natural.Count < 2)
                continue;
            var drops = Enumerable.Range(1, natural.Count - 1).Select(s => natural[s - 1].EntropyNats - natural[s].EntropyNats).ToArray();
            var steepest = Array.IndexOf(drops, drops.Max()) + 1;
            var firstHalf = natural.FirstOrDefault(r => r.Top1Agreement >= 0.5)?.Site ?? -1;
            var key = $"{model}, {lens} lens, natural";
            run.Headline($"{key}: entropy at site 0 (nats)", natural[0].EntropyNats);
            run.Headline($"{key}: entropy at the last site (nats)", natural[^1].EntropyNats);
            run.Headline($"{key}: largest entropy fall, into site", steepest);
            run.Headline($"{key}: KL to final at site 1 (nats)", natural[1].KlToFinalNats);
            run.Headline($"{key}: first site with top-1 agreement >= 0.5", firstHalf >= 0 ? firstHalf : double.NaN, "no site reaches 0.5");
            run.Report.Paragraph(
                $"{key}: entropy {F(natural[0].EntropyNats, "F2")} nats at the embeddings, "
                    + $"{string.Join(" → ", natural.Skip(1).Select(r => F(r.EntropyNats, "F2")))} through the sites; "
                    + $"the largest fall ({F(drops.Max(), "F2")} nats) is into site {F(steepest)}; KL to the final distribution "
                    + $"{string.Join(" → ", natural.Select(r => F(r.KlToFinalNats, "F2")))}; top-1 agreement reaches 50 % "
                    + (firstHalf >= 0 ? $"at site {F(firstHalf)}." : "at no site.")
            );
        }
    }

    private static void Heatmaps(LensResult result, RunContext run, string[] lenses, int sites)
    {
        run.Report.Section("Site × position", "Mean over the natural texts at each position (up to the shortest text). Position 0 is BOS.");
        foreach (var model in result.Models)
        foreach (var lens in lenses)
        {
            var traces = result.Traces.Where(t => t.Model == model && t.Source == "natural" && Of(t.Reading, lens) is not null).ToList();
            if (traces.Count == 0)
                continue;
            var n = traces.Min(t => t.Reading.Positions);
            foreach (
                var (name, title, get) in new (string, string, Func<LensMetrics, int, int, double>)[]
                {
                    ("entropy", "entropy (nats)", (m, s, p) => m.Entropy[s][p]),
                    ("kl", "KL(final ‖ lens) (nats)", (m, s, p) => m.KlToFinal[s][p]),
                }
            )
            {
                var values = Enumerable
                    .Range(0, sites)
                    .Select(s => Enumerable.Range(0, n).Select(p => traces.Average(t => get(Of(t.Reading, lens)!, s, p))).ToArray())
                    .ToArray(); // [site][position]
                run.Report.Figure(
                    run.Figure(
                        new Figure(
                            $"heatmap-{name}-{lens}-{Slug(model)}",
                            $"{title}, {lens} lens, {model}, natural text",
                            new Axis("position"),
                            new Axis("site s (blocks applied)")
                        )
                        {
                            Series = [new HeatmapSeries(title, 0, n - 1, 0, sites - 1, values) { ColorAxisTitle = title }],
                            Legend = LegendPosition.None,
                        }
                    )
                );
            }
        }
    }

    private static void Loops(LensResult result, RunContext run, string[] lenses, int sites)
    {
        var looped = result.Traces.Where(t => t.Source == "greedy" && t.LoopOnset >= 0).ToList();
        var greedy = result.Traces.Count(t => t.Source == "greedy");
        if (greedy == 0)
            return;
        run.Report.Section(
            "Inside greedy loops",
            $"{F(looped.Count)} of {F(greedy)} greedy continuations end in a loop (CycleDetector). For those, each site's mean "
                + "before the loop (generated positions before its onset) and inside it: a loop is where the final distribution "
                + "is sharpest, and the question is at which depth the repetition is already decided."
        );
        foreach (var model in result.Models)
        {
            var traces = looped.Where(t => t.Model == model).ToList();
            run.Headline(
                $"{model}: greedy continuations ending in a loop",
                $"{traces.Count}/{result.Traces.Count(t => t.Source == "greedy" && t.Model == model)}"
            );
            if (traces.Count == 0)
                continue;
            foreach (var lens in lenses.Where(l => traces.All(t => Of(t.Reading, l) is not null)))
            {
                var rows = new List<KeyValue>();
                for (var s = 0; s < sites; s++)
                {
                    double Part(Func<LensTrace, int, bool> inPart, Func<LensMetrics, int, double> get) =>
                        Mean(
                            traces.SelectMany(t =>
                                Enumerable.Range(0, t.Reading.Positions).Where(p => inPart(t, p)).Select(p => get(Of(t.Reading, lens)!, p))
                            )
                        );
                    bool Before(LensTrace t, int p) => p >= t.Prompt && p < t.LoopOnset;
                    bool Inside(LensTrace t, int p) => p >= t.LoopOnset;
                    double Entropy(LensMetrics m, int p) => m.Entropy[s][p];
                    double Agrees(LensMetrics m, int p) => m.AgreesTop1[s][p] ? 1 : 0;
                    rows.Add(
                        new KeyValue(
                            $"site {s}",
                            $"entropy {F(Part(Before, Entropy), "F3")} → {F(Part(Inside, Entropy), "F3")}; "
                                + $"top-1 agreement {F(Part(Before, Agrees), "F3")} → {F(Part(Inside, Agrees), "F3")}"
                        )
                    );
                }
                run.Report.Numbers(rows, $"{model}, {lens} lens: before the loop → inside it");
            }
        }
    }

    private static void PastContext(LensResult result, RunContext run, string[] lenses, int sites)
    {
        var past = result.Traces.Where(t => t.Source == "past context").ToList();
        if (past.Count == 0)
            return;
        run.Report.Section(
            "Past the training context",
            $"Texts of {F(past[0].Reading.Positions)} tokens, the training context being {F(result.Context)}: each site's mean over "
                + "the positions inside the context and past it. Drift past the training length shows as a rise of the KL at "
                + "intermediate sites (the lens no longer reads what the model will predict) or of the final entropy."
        );
        foreach (var model in result.Models)
        foreach (var lens in lenses)
        {
            var traces = past.Where(t => t.Model == model && Of(t.Reading, lens) is not null).ToList();
            if (traces.Count == 0)
                continue;
            double Part(int s, bool inside, Func<LensMetrics, int, int, double> get) =>
                Mean(
                    traces.SelectMany(t =>
                        Enumerable
                            .Range(0, t.Reading.Positions)
                            .Where(p => (p < result.Context) == inside)
                            .Select(p => get(Of(t.Reading, lens)!, s, p))
                    )
                );
            run.Report.Numbers(
                [
                    .. Enumerable
                        .Range(0, sites)
                        .Select(s => new KeyValue(
                            $"site {s}",
                            $"entropy {F(Part(s, true, Entropy), "F3")} | {F(Part(s, false, Entropy), "F3")}; "
                                + $"KL {F(Part(s, true, Kl), "F3")} | {F(Part(s, false, Kl), "F3")}"
                        )),
                ],
                $"{model}, {lens} lens: inside the context | past it"
            );
            run.Headline(
                $"{model}, {lens} lens: KL to final at site 1, past − inside the context (nats)",
                Part(1, false, Kl) - Part(1, true, Kl)
            );
        }
    }

    private static double Entropy(LensMetrics m, int s, int p) => m.Entropy[s][p];

    private static double Kl(LensMetrics m, int s, int p) => m.KlToFinal[s][p];

    private static double Mean(IEnumerable<double> values)
    {
        var (sum, count) = (0.0, 0);
        foreach (var v in values)
        {
            sum += v;
            count++;
        }
        return count == 0 ? double.NaN : sum / count;
    }
}

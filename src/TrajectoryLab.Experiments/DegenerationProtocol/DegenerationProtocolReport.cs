// The report of degeneration-protocol: per decoder (and for the human continuations) seq-rep-4 and seq-rep-1, rep/ℓ of the
// continuation's tokens, uniq-seq, Holtzman's repetition % and the perplexity of the continuations under the model; the
// model's teacher-forced next-token metrics (Welleck's token-level rep/ℓ, wrep/ℓ, uniq, acc); the papers' figures beside
// ours and a verdict per claim; bars of seq-rep-4 and repetition % with the papers' values as markers, perplexity over
// human perplexity against the papers' ratios, and rep/ℓ against ℓ.
// Definitions (checked against the authors' code, see Core RepetitionMetrics): seq-rep-n = 1 − |unique n-grams| /
// |n-grams| of one continuation, averaged over continuations (Welleck §6, custom/metrics.py ngram_metrics); uniq-seq =
// unique tokens over all continuations; token-level rep/ℓ = fraction of teacher-forced argmax predictions that occur in
// the ℓ gold tokens before, wrep/ℓ = those that are also wrong, uniq = unique argmax predictions (Welleck §6,
// repeat_at_1); repetition % (Holtzman §4, degen metrics/repetition.py); perplexity = exp(−Σ ln p / tokens) pooled over
// all continuations (Holtzman Table 1 "Perplexity").
// References: Welleck et al. (2019), arXiv:1908.04319, Table 2 (MLE baseline); Holtzman et al. (2020), arXiv:1904.09751,
// Table 1.
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;
using static TrajectoryLab.Reporting.Tables.TextTable;

namespace TrajectoryLab.Experiments.DegenerationProtocol;

/// <summary>A row of decoders.csv: one decoder's continuations (or the human ones, decoder "human").</summary>
/// <param name="Decoder">Decoder name, or "human".</param>
/// <param name="SeqRep4">Mean seq-rep-4.</param>
/// <param name="SeqRep1">Mean seq-rep-1.</param>
/// <param name="Rep16">rep/16 of the continuation tokens (the prefix as context), pooled.</param>
/// <param name="Rep32">rep/32, pooled.</param>
/// <param name="Rep128">rep/128, pooled.</param>
/// <param name="UniqSeq">Unique tokens over all continuations.</param>
/// <param name="RepetitionPercent">Holtzman's repetition %.</param>
/// <param name="Perplexity">exp of the mean negative log-probability of the continuation tokens under the model.</param>
/// <param name="WallSeconds">Wall-clock seconds of the decoder (0 for the human reading row; not a result).</param>
public sealed record DecoderRow(
    string Decoder,
    double SeqRep4,
    double SeqRep1,
    double Rep16,
    double Rep32,
    double Rep128,
    int UniqSeq,
    double RepetitionPercent,
    double Perplexity,
    double WallSeconds
);

/// <summary>A row of rep_windows.csv: rep/ℓ of one decoder's continuation tokens at one ℓ.</summary>
public sealed record RepWindowRow(string Decoder, int Window, double Rep);

/// <summary>A row of next_token.csv: Welleck's token-level metrics of the teacher-forced predictions at one ℓ.</summary>
/// <param name="Window">ℓ.</param>
/// <param name="Rep">Fraction of predictions among the ℓ gold tokens before.</param>
/// <param name="WrongRep">… and differing from the gold token.</param>
/// <param name="HumanRep">Fraction of gold tokens among the ℓ gold tokens before (the human rate).</param>
/// <param name="Uniq">Unique predictions.</param>
/// <param name="HumanUniq">Unique gold tokens.</param>
/// <param name="Accuracy">Fraction of predictions equal to the gold token.</param>
public sealed record NextTokenRow(int Window, double Rep, double WrongRep, double HumanRep, int Uniq, int HumanUniq, double Accuracy);

/// <summary>A figure from a paper, as printed.</summary>
/// <param name="Paper">"Welleck Table 2" or "Holtzman Table 1".</param>
/// <param name="Row">The paper's row (its decoder).</param>
/// <param name="Ours">Our decoder it is compared with, or "human".</param>
/// <param name="Metric">"seq-rep-4", "repetition %", "perplexity", "rep/128", "uniq", "uniq-seq", "acc", "wrep/128".</param>
/// <param name="Value">The printed value.</param>
/// <param name="Note">What differs in the paper's setting.</param>
public sealed record PaperFigure(string Paper, string Row, string Ours, string Metric, double Value, string Note);

/// <summary>Renders a <see cref="DegenerationProtocolResult"/>.</summary>
public static class DegenerationProtocolReport
{
    private const string Welleck = "Welleck Table 2";
    private const string Holtzman = "Holtzman Table 1";
    private const string WelleckSetting = "16-layer Transformer LM, Wikitext-103 validation, 50-token prefix, 100 tokens";
    private const string HoltzmanSetting = "GPT-2 Large, WebText contexts, 200-token continuations";

    /// <summary>The papers' figures compared with ours (as recalled from the papers' tables; the search corpus of this work
    /// did not hold the tables, so they are unverified here — see docs/degeneration-protocol.md). Welleck et al. (2019)
    /// Table 2, MLE baseline, greedy continuations
    /// (seq-rep-4 .442, uniq-seq 10.8k; token-level rep .627, wrep .352, uniq 11.8k, acc .395; human seq-rep-4 .006,
    /// uniq-seq 19.8k, rep .487); Holtzman et al. (2020) Table 1 (perplexity and repetition %).</summary>
    public static readonly PaperFigure[] Papers =
    [
        new(Welleck, "MLE, greedy", "greedy", "seq-rep-4", 0.442, WelleckSetting),
        new(Welleck, "human", "human", "seq-rep-4", 0.006, WelleckSetting),
        new(Welleck, "MLE, greedy", "greedy", "uniq-seq", 10_800, WelleckSetting + "; over the whole validation set"),
        new(Welleck, "human", "human", "uniq-seq", 19_800, WelleckSetting + "; over the whole validation set"),
        new(Welleck, "MLE (next-token)", "next-token", "rep/128", 0.627, WelleckSetting),
        new(Welleck, "MLE (next-token)", "next-token", "wrep/128", 0.352, WelleckSetting),
        new(Welleck, "human (next-token)", "human", "rep/128", 0.487, WelleckSetting),
        new(Welleck, "MLE (next-token)", "next-token", "uniq", 11_800, WelleckSetting + "; over the whole validation set"),
        new(Welleck, "MLE (next-token)", "next-token", "acc", 0.395, WelleckSetting),
        new(Holtzman, "Human", "human", "perplexity", 12.38, HoltzmanSetting),
        new(Holtzman, "Human", "human", "repetition %", 0.28, HoltzmanSetting),
        new(Holtzman, "Greedy", "greedy", "perplexity", 1.50, HoltzmanSetting),
        new(Holtzman, "Greedy", "greedy", "repetition %", 73.66, HoltzmanSetting),
        new(Holtzman, "Beam, b=16", "beam-10", "perplexity", 1.48, HoltzmanSetting + "; width 16, ours 10"),
        new(Holtzman, "Beam, b=16", "beam-10", "repetition %", 28.94, HoltzmanSetting + "; width 16, ours 10"),
        new(Holtzman, "Pure sampling", "sampling-t-1", "perplexity", 22.73, HoltzmanSetting),
        new(Holtzman, "Pure sampling", "sampling-t-1", "repetition %", 0.22, HoltzmanSetting),
        new(Holtzman, "Sampling, t=0.9", "sampling-t-0.9", "perplexity", 10.25, HoltzmanSetting),
        new(Holtzman, "Sampling, t=0.9", "sampling-t-0.9", "repetition %", 0.66, HoltzmanSetting),
        new(Holtzman, "Top-k=40", "top-k-50", "perplexity", 6.88, HoltzmanSetting + "; k = 40, ours 50"),
        new(Holtzman, "Top-k=40", "top-k-50", "repetition %", 0.78, HoltzmanSetting + "; k = 40, ours 50"),
        new(Holtzman, "Nucleus, p=0.95", "top-p-0.95", "perplexity", 13.13, HoltzmanSetting),
        new(Holtzman, "Nucleus, p=0.95", "top-p-0.95", "repetition %", 0.36, HoltzmanSetting),
    ];

    /// <summary>Repetition % points by which one decoder must end in a loop less often than another for the verdict to
    /// call it fewer: 10 points is 5 of 50 prefixes, the default run's (a difference of one or two prefixes flips between
    /// the 30- and 50-prefix runs, docs/degeneration-protocol.md).</summary>
    public const double LoopMargin = 10;

    /// <summary>Relative margin by which a perplexity must exceed the human text's to count as above it (pure sampling's
    /// was 0.98× and 1.07× the human's on 50 and 30 prefixes, docs/degeneration-protocol.md).</summary>
    public const double PerplexityMargin = 0.1;

    /// <summary>The metrics of one set of continuations.</summary>
    /// <param name="name">Decoder name or "human".</param>
    /// <param name="prefixes">[prefixes][…] BOS + prefix, the context of rep/ℓ.</param>
    /// <param name="continuations">[prefixes][continuationTokens].</param>
    /// <param name="logProb">Σ ln p over every continuation token.</param>
    /// <param name="windows">ℓ of rep/ℓ (the row keeps 16, 32 and 128; NaN for one not measured).</param>
    /// <param name="seconds">Wall-clock seconds.</param>
    public static (DecoderRow Row, double[] Reps) Measure(
        string name,
        int[][] prefixes,
        int[][] continuations,
        double logProb,
        int[] windows,
        double seconds
    )
    {
        double Mean(Func<int[], MetricValue> metric) => continuations.Average(c => metric(c).Value);
        var reps = windows
            .Select(l =>
            {
                // Pooled over every continuation token: Σ repeats / Σ tokens (each continuation has the same length).
                var values = continuations.Select((c, b) => RepetitionMetrics.RepL([.. prefixes[b], .. c], l, prefixes[b].Length).Value);
                return values.Average();
            })
            .ToArray();
        double At(int l) => Array.IndexOf(windows, l) is var i and >= 0 ? reps[i] : double.NaN;
        var tokens = continuations.Sum(c => c.Length);
        var row = new DecoderRow(
            name,
            Mean(c => RepetitionMetrics.SeqRepN(c, 4)),
            Mean(c => RepetitionMetrics.SeqRepN(c, 1)),
            At(16),
            At(32),
            At(128),
            continuations.SelectMany(c => c).Distinct().Count(),
            RepetitionMetrics.HoltzmanRepetitionPercent(continuations).Value,
            Math.Exp(-logProb / tokens),
            seconds
        );
        return (row, reps);
    }

    /// <summary>Welleck's token-level metrics of the teacher-forced predictions, one row per ℓ.</summary>
    public static NextTokenRow[] NextToken(DegenerationProtocolResult result, int[] windows)
    {
        var human = result.Human;
        var n = human.Continuations.Length;
        var tokens = human.Continuations.Sum(c => c.Length);
        var accuracy =
            (double)Enumerable.Range(0, n).Sum(b => human.Continuations[b].Zip(human.Predictions[b]).Count(p => p.First == p.Second))
            / tokens;
        var uniq = human.Predictions.SelectMany(p => p).Distinct().Count();
        var humanUniq = human.Continuations.SelectMany(c => c).Distinct().Count();
        return
        [
            .. windows.Select(l =>
            {
                double rep = 0,
                    wrong = 0,
                    gold = 0;
                for (var b = 0; b < n; b++)
                {
                    int[] context = [.. result.Prefixes[b], .. human.Continuations[b]];
                    int[] predicted = [.. result.Prefixes[b], .. human.Predictions[b]]; // prefix entries are not scored
                    var start = result.Prefixes[b].Length;
                    var (r, w) = RepetitionMetrics.NextTokenRepL(context, predicted, l, start);
                    rep += r.Value;
                    wrong += w.Value;
                    gold += RepetitionMetrics.RepL(context, l, start).Value;
                }
                return new NextTokenRow(l, rep / n, wrong / n, gold / n, uniq, humanUniq, accuracy);
            }),
        ];
    }

    /// <summary>Writes the tables, figures, verdicts and headlines of <paramref name="result"/>.</summary>
    public static void Render(DegenerationProtocolOptions o, DegenerationProtocolResult result, RunContext run)
    {
        var windows = o.RepWindows.Distinct().Order().ToArray();
        var human = result.Human;
        var humanMeasured = Measure("human", result.Prefixes, human.Continuations, human.LogProb, windows, 0);
        var measured = result
            .Decoders.Select(d => Measure(d.Decoder, result.Prefixes, d.Continuations, d.LogProb, windows, d.WallSeconds))
            .ToArray();
        DecoderRow[] rows = [.. measured.Select(m => m.Row), humanMeasured.Row];
        run.Table("decoders", rows);
        run.Table(
            "rep_windows",
            measured.Append(humanMeasured).SelectMany(m => windows.Select((l, i) => new RepWindowRow(m.Row.Decoder, l, m.Reps[i])))
        );
        var nextToken = NextToken(result, windows);
        run.Table("next_token", nextToken);
        run.Table("papers", Papers);
        run.Table(
            "continuations",
            result.Decoders.SelectMany(d =>
                d.Continuations.Select(
                    (c, b) =>
                        new ContinuationRow(
                            d.Decoder,
                            b,
                            result.Sources[b],
                            RepetitionMetrics.SeqRepN(c, 4).Value,
                            RepetitionMetrics.EndsInHoltzmanLoop(c) ? 1 : 0
                        )
                )
            )
        );

        foreach (var r in rows)
        {
            run.Headline($"seq-rep-4: {r.Decoder}", r.SeqRep4);
            run.Headline($"repetition %: {r.Decoder}", r.RepetitionPercent);
            run.Headline($"perplexity: {r.Decoder}", r.Perplexity, "no continuation token");
        }
        run.Headline("prefixes", result.Prefixes.Length);

        var report = run.Report;
        var tokens = result.Prefixes.Length * o.ContinuationTokens;
        var texts = o.Text.Texts.Length > 0 || o.Text.Ids.Length > 0 ? "given texts" : o.Text.Corpus + " validation split";
        report.Lead(
            $"{F(result.Prefixes.Length)} prefixes of {F(o.PrefixTokens)} tokens (after the BOS token), up to {F(o.Windows)} "
                + $"back-to-back windows per text of the {texts}, "
                + $"each continued by every decoder for {F(o.ContinuationTokens)} tokens ({F(tokens)} tokens per decoder) with "
                + $"{result.Model.Name} ({result.Model.Architecture}, {F(result.Model.Layers)} layers, d = {F(result.Model.Width)}, "
                + $"vocabulary {F(result.Model.Vocabulary)}); the human row is the {F(o.ContinuationTokens)} tokens that followed each "
                + "prefix in the text, read teacher-forced. Welleck et al.'s protocol (50-token prefixes, 100-token continuations) "
                + "with Holtzman et al.'s decoders and repetition %."
        );

        report.Section("Decoders");
        report.Add(
            new Preformatted(
                Table(
                    [
                        "decoder",
                        "seq-rep-4",
                        "seq-rep-1",
                        .. windows.Select(l => $"rep/{F(l)}"),
                        "uniq-seq",
                        "repetition %",
                        "perplexity",
                        "seconds",
                    ],
                    measured
                        .Append(humanMeasured)
                        .Select(m =>
                            (IReadOnlyList<string>)
                                [
                                    m.Row.Decoder,
                                    F(m.Row.SeqRep4, "F3"),
                                    F(m.Row.SeqRep1, "F3"),
                                    .. m.Reps.Select(x => F(x, "F3")),
                                    F(m.Row.UniqSeq),
                                    F(m.Row.RepetitionPercent, "F2"),
                                    F(m.Row.Perplexity, "G4"),
                                    m.Row.Decoder == "human" ? "—" : F(m.Row.WallSeconds, "F1"),
                                ]
                        )
                )
            )
        );
        report.Paragraph(
            "seq-rep-n: 1 − unique/total n-grams of each continuation, averaged. rep/ℓ: fraction of continuation tokens that "
                + "occur among the ℓ tokens before them (the prefix counts as context). uniq-seq: distinct tokens over all "
                + "continuations. Repetition %: generations whose most-copied end phrase is ≥ 3 tokens repeated at least twice, "
                + "or repeated more than 50 times (Holtzman et al.'s code). Perplexity: exp of the mean −ln p of the continuation "
                + "tokens under the model at temperature 1, whatever distribution the decoder drew from (the human row is the "
                + "held-out perplexity of the text). Beam search: transformers' semantics, fixed length (BeamSearch)."
        );

        report.Section(
            "Next-token predictions (teacher-forced on the human continuations)",
            "Welleck et al.'s token-level metrics: rep/ℓ = fraction of argmax predictions among the ℓ gold tokens before; "
                + "wrep/ℓ = those that are also wrong; uniq = distinct predictions; acc = predictions equal to the gold token."
        );
        report.Add(
            new Preformatted(
                Table(
                    ["ℓ", "rep/ℓ", "wrep/ℓ", "human rep/ℓ", "uniq", "human uniq", "acc"],
                    nextToken.Select(r =>
                        (IReadOnlyList<string>)
                            [
                                F(r.Window),
                                F(r.Rep, "F3"),
                                F(r.WrongRep, "F3"),
                                F(r.HumanRep, "F3"),
                                F(r.Uniq),
                                F(r.HumanUniq),
                                F(r.Accuracy, "F3"),
                            ]
                    )
                )
            )
        );

        var verdicts = Verdicts(rows, nextToken);
        report.Section(
            "Ours vs papers",
            "The papers' numbers are for other models, corpora and tokenizers (see docs/degeneration-protocol.md); the claims "
                + "compared are orderings and ratios, not absolute values."
        );
        report.Add(new Preformatted(Table(["claim", "paper", "ours", "verdict"], verdicts)));
        report.Add(
            new Preformatted(
                Table(
                    ["paper", "row", "metric", "paper value", "our decoder", "ours", "setting"],
                    Papers.Select(p =>
                        (IReadOnlyList<string>)[p.Paper, p.Row, p.Metric, F(p.Value, "G4"), p.Ours, Ours(p, rows, nextToken), p.Note]
                    )
                )
            )
        );

        string[] names = [.. rows.Select(r => r.Decoder).Where(n => n != "human")]; // the bars; human is the reference line
        var subtitle = string.Join(", ", names.Select((n, i) => $"{F(i + 1)} {n}"));
        report.Section("Figures");
        report.Figure(run.Figure(Bars("seq-rep-4", "seq-rep-4 per decoder", "seq-rep-4", rows, r => r.SeqRep4, "seq-rep-4", subtitle)));
        report.Figure(
            run.Figure(
                Bars(
                    "repetition-percent",
                    "Repetition % per decoder",
                    "repetition %",
                    rows,
                    r => r.RepetitionPercent,
                    "repetition %",
                    subtitle
                )
            )
        );
        report.Figure(run.Figure(PerplexityRatio(rows, subtitle)));
        report.Figure(
            run.Figure(
                new Figure(
                    "rep-vs-window",
                    "rep/ℓ of the continuation tokens",
                    new Axis("ℓ (tokens before)") { Log = true },
                    new Axis("rep/ℓ")
                )
                {
                    Series =
                    [
                        .. measured
                            .Append(humanMeasured)
                            .Select(
                                (m, i) =>
                                    new LineSeries(m.Row.Decoder, [.. windows.Select(l => (double)l)], m.Reps)
                                    {
                                        Color = Palette[i % Palette.Length],
                                        Markers = true,
                                        Dashed = m.Row.Decoder == "human",
                                    }
                            ),
                    ],
                    Legend = LegendPosition.OutsideRight,
                }
            )
        );
    }

    /// <summary>A row of continuations.csv: one continuation's seq-rep-4 and whether it ends in a Holtzman loop.</summary>
    public sealed record ContinuationRow(string Decoder, int Prefix, string Source, double SeqRep4, int EndsInLoop);

    private static string Ours(PaperFigure p, DecoderRow[] rows, NextTokenRow[] nextToken)
    {
        var row = rows.FirstOrDefault(r => r.Decoder == p.Ours);
        var token = nextToken.FirstOrDefault(r => r.Window == 128);
        return p.Metric switch
        {
            "seq-rep-4" when row is not null => F(row.SeqRep4, "F3"),
            "uniq-seq" when row is not null => F(row.UniqSeq),
            "repetition %" when row is not null => F(row.RepetitionPercent, "F2"),
            "perplexity" when row is not null => F(row.Perplexity, "G4"),
            "rep/128" when token is not null => F(p.Ours == "human" ? token.HumanRep : token.Rep, "F3"),
            "wrep/128" when token is not null => F(token.WrongRep, "F3"),
            "uniq" when token is not null => F(token.Uniq),
            "acc" when token is not null => F(token.Accuracy, "F3"),
            _ => "not run",
        };
    }

    /// <summary>The claims, the papers' evidence, ours and a verdict each (a claim whose decoders were not run says so).</summary>
    public static List<IReadOnlyList<string>> Verdicts(DecoderRow[] rows, NextTokenRow[] nextToken)
    {
        DecoderRow? R(string name) => rows.FirstOrDefault(r => r.Decoder == name);
        var list = new List<IReadOnlyList<string>>();
        void Add(string claim, string paper, Func<string?> ours, Func<string> verdict, params string[] needs)
        {
            var missing = needs.FirstOrDefault(n => R(n) is null);
            list.Add(missing is null ? [claim, paper, ours() ?? "", verdict()] : [claim, paper, $"{missing} not run", "not measured"]);
        }
        string[] stochastic =
        [
            .. rows.Select(r => r.Decoder).Where(n => n.StartsWith("top-", StringComparison.Ordinal) || n == "sampling-t-1"),
        ];
        var human = R("human")!;

        Add(
            "Repetition: beam ≥ greedy (seq-rep-4)",
            "Welleck: beam search repeats more than greedy (beam 10 .523 as quoted, not checked; greedy .442)",
            () => $"beam-10 {F(R("beam-10")!.SeqRep4, "F3")} vs greedy {F(R("greedy")!.SeqRep4, "F3")}",
            () => R("beam-10")!.SeqRep4 >= R("greedy")!.SeqRep4 ? "reproduced" : "not reproduced: beam repeats less than greedy",
            "beam-10",
            "greedy"
        );
        Add(
            "Repetition: greedy ≫ sampling at t = 1 (seq-rep-4, ≥ 3×)",
            "Welleck Table 2 greedy .442; Holtzman: repetition % 73.66 greedy vs 0.22 pure sampling",
            () =>
                $"greedy {F(R("greedy")!.SeqRep4, "F3")} vs " + string.Join(", ", stochastic.Select(n => $"{n} {F(R(n)!.SeqRep4, "F3")}")),
            () =>
                stochastic.Length == 0 ? "not measured (no sampler at t = 1)"
                : stochastic.All(n => R("greedy")!.SeqRep4 >= 3 * R(n)!.SeqRep4) ? "reproduced"
                : stochastic.All(n => R("greedy")!.SeqRep4 > R(n)!.SeqRep4) ? "partly: greedy repeats more, by less than 3×"
                : "not reproduced",
            "greedy"
        );
        Add(
            "Repetition %: greedy far above human and sampling",
            "Holtzman: greedy 73.66 %, human 0.28 %, pure sampling 0.22 %, nucleus 0.95 0.36 %",
            () =>
                $"greedy {F(R("greedy")!.RepetitionPercent, "F2")} %, human {F(human.RepetitionPercent, "F2")} %, "
                + string.Join(", ", stochastic.Select(n => $"{n} {F(R(n)!.RepetitionPercent, "F2")} %")),
            () =>
                R("greedy")!.RepetitionPercent >= 10 * Math.Max(human.RepetitionPercent, 1)
                && stochastic.All(n => R(n)!.RepetitionPercent < R("greedy")!.RepetitionPercent)
                    ? "reproduced"
                : R("greedy")!.RepetitionPercent > human.RepetitionPercent ? "partly: above human, by less than 10×"
                : "not reproduced",
            "greedy"
        );
        Add(
            "Repetition %: beam (b = 16) below greedy",
            "Holtzman: beam 28.94 % vs greedy 73.66 % (the opposite of Welleck's seq-rep-4 ordering)",
            () => $"beam-10 {F(R("beam-10")!.RepetitionPercent, "F2")} % vs greedy {F(R("greedy")!.RepetitionPercent, "F2")} %",
            () =>
                R("beam-10")!.RepetitionPercent <= R("greedy")!.RepetitionPercent - LoopMargin ? "reproduced"
                : R("beam-10")!.RepetitionPercent < R("greedy")!.RepetitionPercent
                    ? $"not distinguished: lower by less than {F(LoopMargin)} points"
                : "not reproduced: beam ends in a loop at least as often as greedy",
            "beam-10",
            "greedy"
        );
        Add(
            "Perplexity: greedy and beam far below human (< 1/3)",
            "Holtzman: greedy 1.50, beam 1.48, human 12.38",
            () =>
                $"greedy {F(R("greedy")!.Perplexity, "G3")}, beam-10 {F(R("beam-10")!.Perplexity, "G3")}, "
                + $"human {F(human.Perplexity, "G3")}",
            () =>
                R("greedy")!.Perplexity < human.Perplexity / 3 && R("beam-10")!.Perplexity < human.Perplexity / 3 ? "reproduced"
                : R("greedy")!.Perplexity < human.Perplexity && R("beam-10")!.Perplexity < human.Perplexity ? "partly: below, not 3×"
                : "not reproduced",
            "greedy",
            "beam-10"
        );
        Add(
            "Perplexity: beam ≤ greedy (beam finds likelier text)",
            "Holtzman: beam 1.48 ≤ greedy 1.50",
            () => $"beam-10 {F(R("beam-10")!.Perplexity, "G4")} vs greedy {F(R("greedy")!.Perplexity, "G4")}",
            () => R("beam-10")!.Perplexity <= R("greedy")!.Perplexity ? "reproduced" : "not reproduced",
            "beam-10",
            "greedy"
        );
        Add(
            "Perplexity: pure sampling above human",
            "Holtzman: 22.73 vs 12.38",
            () => $"sampling-t-1 {F(R("sampling-t-1")!.Perplexity, "G4")} vs human {F(human.Perplexity, "G4")}",
            () =>
                R("sampling-t-1")!.Perplexity > human.Perplexity * (1 + PerplexityMargin) ? "reproduced"
                : R("sampling-t-1")!.Perplexity >= human.Perplexity * (1 - PerplexityMargin)
                    ? $"not reproduced: equal within {F(100 * PerplexityMargin)} %"
                : "not reproduced: below human",
            "sampling-t-1"
        );
        Add(
            "Perplexity: nucleus p = 0.95 closest to human",
            "Holtzman: 13.13 vs human 12.38, the closest of Table 1",
            () =>
            {
                var closest = rows.Where(r => r.Decoder != "human").MinBy(r => Math.Abs(Math.Log(r.Perplexity / human.Perplexity)))!;
                return $"top-p-0.95 {F(R("top-p-0.95")!.Perplexity, "G4")}; closest: {closest.Decoder} {F(closest.Perplexity, "G4")}";
            },
            () =>
                rows.Where(r => r.Decoder != "human").MinBy(r => Math.Abs(Math.Log(r.Perplexity / human.Perplexity)))!.Decoder
                == "top-p-0.95"
                    ? "reproduced"
                    : "not reproduced: another decoder is closer",
            "top-p-0.95"
        );
        Add(
            "Temperature: lower t, lower perplexity",
            "Holtzman: pure 22.73 > t = 0.9 10.25 (> top-k 40 t = 0.7 3.48)",
            () =>
                $"t = 1 {F(R("sampling-t-1")!.Perplexity, "G4")}, t = 0.9 {F(R("sampling-t-0.9")!.Perplexity, "G4")}"
                + (R("sampling-t-0.7") is { } t7 ? $", t = 0.7 {F(t7.Perplexity, "G4")}" : ""),
            () =>
                R("sampling-t-1")!.Perplexity > R("sampling-t-0.9")!.Perplexity
                && (R("sampling-t-0.7") is not { } t7 || R("sampling-t-0.9")!.Perplexity > t7.Perplexity)
                    ? "reproduced"
                    : "not reproduced",
            "sampling-t-1",
            "sampling-t-0.9"
        );
        var token = nextToken.FirstOrDefault(r => r.Window == 128) ?? nextToken[^1];
        list.Add([
            $"Next-token predictions repeat more than humans (rep/{F(token.Window)})",
            "Welleck: rep/128 .627 (MLE) vs .487 (human)",
            $"{F(token.Rep, "F3")} vs {F(token.HumanRep, "F3")}",
            token.Rep > token.HumanRep ? "reproduced" : "not reproduced",
        ]);
        list.Add([
            "Next-token predictions use fewer distinct tokens than humans (uniq)",
            "Welleck: 11.8k vs 19.8k",
            $"{F(token.Uniq)} vs {F(token.HumanUniq)}",
            token.Uniq < token.HumanUniq ? "reproduced" : "not reproduced",
        ]);
        Add(
            "Greedy continuations far more repetitive than human text (seq-rep-4)",
            "Welleck: .442 vs .006",
            () => $"{F(R("greedy")!.SeqRep4, "F3")} vs {F(human.SeqRep4, "F3")}",
            () => R("greedy")!.SeqRep4 > 10 * Math.Max(human.SeqRep4, 1e-3) ? "reproduced" : "not reproduced",
            "greedy"
        );
        return list;
    }

    /// <summary>Bars of one metric per decoder (x = 1 … n, the subtitle names them) with the papers' values of that metric as
    /// markers and the human value as a reference line.</summary>
    private static Figure Bars(
        string name,
        string title,
        string yTitle,
        DecoderRow[] rows,
        Func<DecoderRow, double> metric,
        string paperMetric,
        string subtitle
    )
    {
        var decoders = rows.Where(r => r.Decoder != "human").ToArray();
        var human = rows.First(r => r.Decoder == "human");
        var edges = Enumerable.Range(0, decoders.Length + 1).Select(i => i + 0.5).ToArray();
        var series = new List<FigureSeries>
        {
            new HistogramSeries("ours", edges, [.. decoders.Select(metric)]) { Color = Palette[0] },
            new ReferenceLine($"human (ours) {F(metric(human), "G3")}", ReferenceOrientation.Horizontal, metric(human)),
        };
        foreach (var (paper, i) in new[] { Welleck, Holtzman }.Select((p, i) => (p, i)))
        {
            var points = decoders
                .Select(
                    (d, x) =>
                        (X: x + 1.0, P: Papers.FirstOrDefault(p => p.Paper == paper && p.Ours == d.Decoder && p.Metric == paperMetric))
                )
                .Where(p => p.P is not null)
                .ToArray();
            if (points.Length > 0)
                series.Add(
                    new ScatterSeries(paper, [.. points.Select(p => p.X)], [.. points.Select(p => p.P!.Value)])
                    {
                        Color = Palette[(i + 2) % Palette.Length],
                        MarkerSize = 5,
                    }
                );
        }
        return new Figure(name, title, new Axis("decoder") { Min = 0.5, Max = decoders.Length + 0.5 }, new Axis(yTitle) { Min = 0 })
        {
            Subtitle = subtitle,
            Series = series,
            Legend = LegendPosition.OutsideRight,
        };
    }

    /// <summary>Perplexity of each decoder's continuations over the human continuations' (log scale), ours and Holtzman's.</summary>
    private static Figure PerplexityRatio(DecoderRow[] rows, string subtitle)
    {
        var decoders = rows.Where(r => r.Decoder != "human").ToArray();
        var human = rows.First(r => r.Decoder == "human").Perplexity;
        var holtzmanHuman = Papers.First(p => p.Paper == Holtzman && p.Ours == "human" && p.Metric == "perplexity").Value;
        var paper = decoders
            .Select(
                (d, x) =>
                    (X: x + 1.0, P: Papers.FirstOrDefault(p => p.Paper == Holtzman && p.Ours == d.Decoder && p.Metric == "perplexity"))
            )
            .Where(p => p.P is not null)
            .ToArray();
        return new Figure(
            "perplexity-ratio",
            "Perplexity of the continuations over the human text's",
            new Axis("decoder") { Min = 0.5, Max = decoders.Length + 0.5 },
            new Axis("perplexity / human perplexity") { Log = true }
        )
        {
            Subtitle = subtitle,
            Series =
            [
                new ScatterSeries("ours", [.. decoders.Select((_, x) => x + 1.0)], [.. decoders.Select(d => d.Perplexity / human)])
                {
                    Color = Palette[0],
                    MarkerSize = 5,
                },
                new ScatterSeries("Holtzman Table 1", [.. paper.Select(p => p.X)], [.. paper.Select(p => p.P!.Value / holtzmanHuman)])
                {
                    Color = Palette[3 % Palette.Length],
                    MarkerSize = 5,
                },
                new ReferenceLine("human", ReferenceOrientation.Horizontal, 1),
            ],
            Legend = LegendPosition.OutsideRight,
        };
    }
}

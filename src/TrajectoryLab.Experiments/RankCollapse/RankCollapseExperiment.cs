// rank-collapse: effective rank, stable rank and token uniformity of the residual stream per layer × position window and
// over growing context, on validation texts and on the model's own greedy continuations; the path ablations of Dong et al.
// (full block, pure attention, attention + skip, attention + MLP) at random init and trained; and the rank of the top
// residual's trajectory over generation steps next to each step's entropy and the loop onset.
// References: Dong, Cordonnier & Loukas (2021), "Attention is not all you need: pure attention loses rank doubly
// exponentially with depth", ICML (arXiv:2103.03404); Roy & Vetterli (2007), EUSIPCO (effective rank); Rudelson &
// Vershynin (2007), GAFA (stable rank); Holtzman et al. (2020), ICLR (degeneration, loops).
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Torch.Models;
using static TrajectoryLab.Experiments.Shared.DynamicsText;

namespace TrajectoryLab.Experiments.RankCollapse;

/// <summary>Captures the residual stream of every site at prefill (and during greedy generation) and measures its rank.</summary>
/// <param name="paths">The project paths (to find the model and the corpus).</param>
public sealed class RankCollapseExperiment(ProjectPaths paths) : Experiment<RankCollapseOptions>
{
    /// <inheritdoc/>
    public override string Kind => "rank-collapse";

    /// <summary>The ablation variants in report order, with the paths each keeps.</summary>
    public static readonly (string Name, BlockAblation Paths)[] Variants =
    [
        ("full", BlockAblation.Full), ("pure attention", BlockAblation.PureAttention),
        ("attention + skip", BlockAblation.AttentionSkip), ("attention + MLP", BlockAblation.AttentionMlp),
    ];

    /// <inheritdoc/>
    protected override void Run(RankCollapseOptions o, RunContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Run returns
        var (models, tokenizer, folder) = loaded;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        var usable = texts.Where(t => t.Tokens.Length >= o.PromptTokens + o.TrajectoryWindow && t.Tokens.Length >= o.Window).ToList();
        if (usable.Count == 0)
            throw new ArgumentException($"text: no text has max(promptTokens + trajectoryWindow, window) = {Math.Max(o.PromptTokens + o.TrajectoryWindow, o.Window)} tokens");
        var sites = Sites(models[0].Model.Spec.NumLayers);
        var traces = new List<Trace>();
        run.Phase("capture", () =>
        {
            using var progress = run.Progress("prefills and continuations", (long)models.Count * usable.Count * (2 + (o.Ablations ? Variants.Length - 1 : 0)));
            foreach (var m in models)
                foreach (var text in usable)
                {
                    run.Cancellation.ThrowIfCancellationRequested();
                    traces.Add(Prefill(m, text, "validation", BlockAblation.Full, sites));
                    traces.Add(Generate(m, text, o.PromptTokens, sites));
                    progress.Advance(2);
                    if (!o.Ablations) continue;
                    foreach (var (name, ablation) in Variants.Skip(1))
                    {
                        traces.Add(Prefill(m, text, name, ablation, sites));
                        progress.Advance();
                    }
                }
        });
        var labels = models.Select(m => m.Label).ToArray();
        run.Phase("measure and report", () => RankCollapseFigures.Write(o, run, labels, traces, folder, models[0].Model.Spec,
            t => tokenizer.TokenText(t)));
    }

    /// <summary>hook_resid_pre(0) (the embeddings) then hook_resid_post(l) for every block: residual site s = h after s blocks.</summary>
    /// <param name="layers">Number of blocks L.</param>
    public static string[] Sites(int layers) => [HookNames.ResidPre(0), .. Enumerable.Range(0, layers).Select(HookNames.ResidPost)];

    /// <summary>One prefill over the whole text with every site captured (every prompt position comes back).</summary>
    private static Trace Prefill(MeasuredModel m, TokenizedText text, string source, BlockAblation ablation, string[] sites)
    {
        using var session = m.Model.StartSession(new GenerationOptions { MaxNewTokens = 1, Capture = sites, Ablation = ablation });
        var step = session.Prefill([text.Tokens]);
        var rows = sites.Select(_ => new List<double[]>()).ToArray();
        for (var s = 0; s < sites.Length; s++) RankCollapseMeasures.Append(step.Activations[sites[s]], rows[s]);
        return new Trace(m.Label, source, text.Name, text.Tokens, [.. rows.Select(ToMatrix)], [], text.Tokens.Length);
    }

    /// <summary>The greedy continuation of the text's first <paramref name="prompt"/> tokens to the text's length, every site
    /// captured at the prefill and at each step, and the entropy of each step's next-token distribution.</summary>
    private static Trace Generate(MeasuredModel m, TokenizedText text, int prompt, string[] sites)
    {
        var length = text.Tokens.Length;
        using var session = m.Model.StartSession(new GenerationOptions { MaxNewTokens = length - prompt + 1, Capture = sites, Outputs = StepOutputs.LogProbs });
        var rows = sites.Select(_ => new List<double[]>()).ToArray();
        var entropy = new List<double>();
        var step = session.Prefill([text.Tokens[..prompt]]);
        while (true)
        {
            for (var s = 0; s < sites.Length; s++) RankCollapseMeasures.Append(step.Activations[sites[s]], rows[s]);
            entropy.Add(TokenEntropy.Entropy([.. step.LogProbs![0].Select(v => (double)v)]));
            if (session.Length > length) break;
            step = session.Step();
        }
        // Rows cover positions 0 … length − 1, as the validation text's; entropy[i] is that of the distribution that chose
        // the token at position prompt + i (the last pass chose one beyond the text's length, dropped).
        return new Trace(m.Label, "generated", text.Name, session.Tokens(0)[..length], [.. rows.Select(ToMatrix)], [.. entropy.Take(length - prompt)], prompt);
    }

    /// <summary>The trajectory section: sliding-window effective rank of the top residual over the generated steps, next to
    /// each step's entropy, with the loop onset (CycleDetector) marked; means before, approaching and inside the loop.</summary>
    /// <param name="o">The options.</param>
    /// <param name="run">The run.</param>
    /// <param name="labels">Model labels.</param>
    /// <param name="generated">The generated traces.</param>
    /// <param name="tokenText">Token id to its text.</param>
    internal static void Trajectory(RankCollapseOptions o, RunContext run, string[] labels, List<Trace> generated, Func<int, string> tokenText)
    {
        var w = o.TrajectoryWindow;
        run.Report.Section("Trajectory rank during generation", $"Effective rank of the top residual (site L) of the last {F(w)} generated positions, plotted at the window's last step, " +
            "next to the entropy of the distribution each generated token was chosen from (right axis); the loop onset is the first step from which the greedy continuation " +
            $"is periodic to the end with at least {F(o.LoopRepeats)} repeats (CycleDetector). Phases: windows ending more than {F(w)} steps before the onset (before), " +
            $"ending in the {F(w)} steps before it (approach), and starting at or after it (loop).");
        var rows = new List<object[]>();
        var phases = new List<(string Model, string Phase, double Rank, double Entropy)>();
        foreach (var t in generated)
        {
            var tokens = t.Tokens[t.Prompt..];
            var cycle = CycleDetector.Detect(tokens, o.LoopRepeats);
            var ranks = RankCollapseMeasures.Sliding(t.Sites[^1], t.Prompt, w); // entry i: steps i … i + w − 1
            for (var g = 0; g < tokens.Length; g++)
            {
                var rank = g >= w - 1 ? ranks[g - w + 1].EffectiveRank : double.NaN;
                rows.Add([t.Model, t.Text, g, tokens[g], tokenText(tokens[g]), t.Entropy[g], rank, cycle.IsLoop ? cycle.Onset : -1, cycle.Period]);
                if (!cycle.IsLoop || g < w - 1) continue;
                var phase = g < cycle.Onset - w ? "before" : g < cycle.Onset ? "approach" : g - w + 1 >= cycle.Onset ? "loop" : null;
                if (phase is not null) phases.Add((t.Model, phase, rank, t.Entropy[g]));
            }
            var x = Enumerable.Range(w - 1, ranks.Length).Select(g => (double)g).ToArray();
            var series = new List<FigureSeries>
            {
                new LineSeries($"effective rank, last {F(w)} steps", x, [.. ranks.Select(r => r.EffectiveRank)]) { Color = DynamicsText.Palette[0] },
                new LineSeries("entropy (nats)", [.. Enumerable.Range(0, tokens.Length).Select(g => (double)g)], t.Entropy) { YAxis = "y2", Color = DynamicsText.Palette[1] },
            };
            if (cycle.IsLoop) series.Add(new ReferenceLine($"loop onset (period {F(cycle.Period)})", ReferenceOrientation.Vertical, cycle.Onset) { Color = "#555555" });
            run.Report.Figure(run.Figure(new Figure($"trajectory-{Slug(t.Model)}-{Slug(t.Text)}", $"Trajectory rank and entropy, {t.Model}, {t.Text}",
                new Axis("generated step"), new Axis("effective rank") { Min = 0 })
            {
                Y2Axis = new Axis("entropy (nats)") { Min = 0 }, Series = series, Legend = LegendPosition.OutsideRight,
            }));
            run.Report.Paragraph($"{t.Model}, {t.Text}: " + (cycle.IsLoop
                ? $"loop of period {F(cycle.Period)} from step {F(cycle.Onset)} of {F(tokens.Length)} ({F(cycle.Repeats, "F1")} repeats)"
                : $"no loop in {F(tokens.Length)} steps") +
                $"; mean window rank {F(RankCollapseMeasures.Mean(ranks.Select(r => r.EffectiveRank)), "F2")}, mean entropy {F(RankCollapseMeasures.Mean(t.Entropy), "F3")} nats.");
        }
        run.Table("trajectory", ["model", "text", "step", "token_id", "token", "entropy_nats", "window_effective_rank", "loop_onset", "loop_period"], rows);
        foreach (var m in labels)
        {
            var loops = generated.Count(t => t.Model == m && CycleDetector.Detect(t.Tokens[t.Prompt..], o.LoopRepeats).IsLoop);
            var mine = phases.Where(p => p.Model == m).ToList();
            string Phase(string name) => mine.Any(p => p.Phase == name)
                ? $"{name}: rank {F(RankCollapseMeasures.Mean(mine.Where(p => p.Phase == name).Select(p => p.Rank)), "F2")}, entropy {F(RankCollapseMeasures.Mean(mine.Where(p => p.Phase == name).Select(p => p.Entropy)), "F3")} ({F(mine.Count(p => p.Phase == name))} windows)"
                : $"{name}: no window";
            double Rank(string name) => RankCollapseMeasures.Mean(mine.Where(p => p.Phase == name).Select(p => p.Rank));
            var (before, approach, loop) = (Rank("before"), Rank("approach"), Rank("loop"));
            var verdict = !double.IsFinite(before) || !double.IsFinite(approach) ? "" :
                $" Approach / before = {F(approach / before, "F3")}, loop / before = {F(loop / before, "F3")}: " +
                (approach < 0.9 * before ? "the rank falls (by 10% or more) before the loop starts" : "the rank does not fall by 10% or more before the onset") +
                (loop < 0.9 * before ? "; it falls once the windows lie in the loop." : "; nor inside the loop.");
            run.Report.Paragraph($"{m}: {F(loops)} of {F(generated.Count(t => t.Model == m))} continuations end in a loop. " +
                (loops == 0 ? "No onset to compare against." : $"Over the looping continuations, {Phase("before")}; {Phase("approach")}; {Phase("loop")}.{verdict}"));
            run.Headline($"{m}: continuations ending in a loop", $"{F(loops)}/{F(generated.Count(t => t.Model == m))}");
        }
    }

    private static string Slug(string text) => new([.. text.Select(c => char.IsLetterOrDigit(c) ? c : '-')]);

    private static Matrix<double> ToMatrix(List<double[]> rows) => Matrix<double>.Build.DenseOfRowArrays(rows); // [positions × d_model]
}

// rank-collapse: effective rank, stable rank and token uniformity of the residual stream per layer × position window and
// over growing context, on validation texts and on the model's own greedy continuations; the path ablations of Dong et al.
// (full block, pure attention, attention + skip, attention + MLP) at random init and trained; and the rank of the top
// residual's trajectory over generation steps next to each step's entropy. The measurement captures the residual stream
// and reduces it to rank readings (RankCollapseResult); RankCollapseReport finds the loops and renders.
// References: Dong, Cordonnier & Loukas (2021), "Attention is not all you need: pure attention loses rank doubly
// exponentially with depth", ICML (arXiv:2103.03404); Roy & Vetterli (2007), EUSIPCO (effective rank); Rudelson &
// Vershynin (2007), GAFA (stable rank); Holtzman et al. (2020), ICLR (degeneration, loops).
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using static TrajectoryLab.Experiments.RankCollapse.RankCollapseMeasures;

namespace TrajectoryLab.Experiments.RankCollapse;

/// <summary>Captures the residual stream of every site at prefill (and during greedy generation) and measures its rank.</summary>
/// <param name="paths">The project paths (to find the model and the corpus).</param>
public sealed class RankCollapseExperiment(ProjectPaths paths) : Experiment<RankCollapseOptions, RankCollapseResult>
{
    /// <inheritdoc/>
    public override string Kind => "rank-collapse";

    /// <summary>The ablation variants in report order, with the paths each keeps.</summary>
    public static readonly (string Name, BlockAblation Paths)[] Variants =
    [
        ("full", BlockAblation.Full),
        ("pure attention", BlockAblation.PureAttention),
        ("attention + skip", BlockAblation.AttentionSkip),
        ("attention + MLP", BlockAblation.AttentionMlp),
    ];

    /// <inheritdoc/>
    public override RankCollapseResult Measure(RankCollapseOptions o, IMeasureContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Measure returns
        var (models, tokenizer, folder) = loaded;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        var usable = texts.Where(t => t.Tokens.Length >= o.PromptTokens + o.TrajectoryWindow && t.Tokens.Length >= o.Window).ToList();
        if (usable.Count == 0)
            throw new ArgumentException(
                $"text: no text has max(promptTokens + trajectoryWindow, window) = "
                    + $"{Math.Max(o.PromptTokens + o.TrajectoryWindow, o.Window)} tokens"
            );
        var sites = Sites(models[0].Model.Spec.NumLayers);
        var traces = new List<Trace>();
        run.Phase("capture", () =>
        {
            using var progress = run.Progress(
                "prefills and continuations",
                (long)models.Count * usable.Count * (2 + (o.Ablations ? Variants.Length - 1 : 0))
            );
            foreach (var m in models)
            foreach (var text in usable)
            {
                run.Cancellation.ThrowIfCancellationRequested();
                traces.Add(Prefill(m, text, "validation", BlockAblation.Full, sites));
                traces.Add(Generate(m, text, o.PromptTokens, sites));
                progress.Advance(2);
                if (!o.Ablations)
                    continue;
                foreach (var (name, ablation) in Variants.Skip(1))
                {
                    traces.Add(Prefill(m, text, name, ablation, sites));
                    progress.Advance();
                }
            }
        });
        var shortest = traces.Where(IsMain).Min(t => t.Sites[0].RowCount);
        var prefixes = o.Prefixes.Where(p => p <= shortest).Distinct().Order().ToArray();
        var readings = run.Phase("measure", () => traces
                .Select(t =>
                {
                    run.Cancellation.ThrowIfCancellationRequested();
                    return Readings(o, t, prefixes, tokenizer.TokenText);
                })
                .ToList());
        return new RankCollapseResult(
            ModelFacts.Of(o.Model.Name, folder, models[0].Model),
            [.. models.Select(m => m.Label)],
            prefixes,
            readings
        );
    }

    /// <inheritdoc/>
    public override void Report(RankCollapseOptions o, RankCollapseResult result, RunContext run) =>
        RankCollapseReport.Render(o, result, run);

    /// <summary>True for the traces of the window, depth and context sections: validation prefills and greedy continuations.</summary>
    private static bool IsMain(Trace t) => t.Source is "validation" or "generated";

    /// <summary>The readings of one trace: windows and prefixes of the main traces, whole-text measures of the ablation traces
    /// (the validation prefill being the "full" variant), the sliding trajectory rank of a continuation.</summary>
    private static TraceReadings Readings(RankCollapseOptions o, Trace t, int[] prefixes, Func<int, string> tokenText)
    {
        var main = IsMain(t);
        RankReading[][] windows = main ? [.. t.Sites.Select(x => Windows(x, o.Window))] : [];
        RankReading[][] prefixReadings = main
            ? [.. prefixes.Select(n => t.Sites.Select(x => RankCollapseMeasures.Measure(Rows(x, 0, n))).ToArray())]
            : [];
        WholeText[] whole =
            o.Ablations && t.Source != "generated"
                ?
                [
                    .. t.Sites.Select(x => new WholeText(
                        RankCollapseMeasures.Measure(x),
                        TokenUniformity.Ratio(Rows(x, 1, x.RowCount - 1)).Value,
                        TokenUniformity.Ratio(Rows(x, x.RowCount / 2, x.RowCount - x.RowCount / 2)).Value
                    )),
                ]
                : [];
        GeneratedTrajectory? trajectory = null;
        if (t.Source == "generated")
        {
            var tokens = t.Tokens[t.Prompt..];
            trajectory = new GeneratedTrajectory(
                tokens,
                [.. tokens.Select(tokenText)],
                t.Entropy,
                [.. Sliding(t.Sites[^1], t.Prompt, o.TrajectoryWindow).Select(r => r.EffectiveRank)]
            ); // entry i: steps i … i + w − 1
        }
        return new TraceReadings(t.Model, t.Source, t.Text, t.Sites[0].RowCount, windows, prefixReadings, whole, trajectory);
    }

    /// <summary>hook_resid_pre(0) (the embeddings) then hook_resid_post(l) for every block: residual site s = h after s blocks.</summary>
    /// <param name="layers">Number of blocks L.</param>
    public static string[] Sites(int layers) => [HookNames.ResidPre(0), .. Enumerable.Range(0, layers).Select(HookNames.ResidPost)];

    /// <summary>One prefill over the whole text with every site captured (every prompt position comes back).</summary>
    private static Trace Prefill(MeasuredModel m, TokenizedText text, string source, BlockAblation ablation, string[] sites)
    {
        using var session = m.Model.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = 1,
                Capture = sites,
                Ablation = ablation,
            }
        );
        var step = session.Prefill([text.Tokens]);
        var rows = sites.Select(_ => new List<double[]>()).ToArray();
        for (var s = 0; s < sites.Length; s++)
            Append(step.Activations[sites[s]], rows[s]);
        return new Trace(m.Label, source, text.Name, text.Tokens, [.. rows.Select(ToMatrix)], [], text.Tokens.Length);
    }

    /// <summary>The greedy continuation of the text's first <paramref name="prompt"/> tokens to the text's length, every site
    /// captured at the prefill and at each step, and the entropy of each step's next-token distribution.</summary>
    private static Trace Generate(MeasuredModel m, TokenizedText text, int prompt, string[] sites)
    {
        var length = text.Tokens.Length;
        using var session = m.Model.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = length - prompt + 1,
                Capture = sites,
                Outputs = StepOutputs.LogProbs,
            }
        );
        var rows = sites.Select(_ => new List<double[]>()).ToArray();
        var entropy = new List<double>();
        var step = session.Prefill([text.Tokens[..prompt]]);
        while (true)
        {
            for (var s = 0; s < sites.Length; s++)
                Append(step.Activations[sites[s]], rows[s]);
            entropy.Add(TokenEntropy.Entropy([.. step.LogProbs![0].Select(v => (double)v)]));
            if (session.Length > length)
                break;
            step = session.Step();
        }
        // Rows cover positions 0 … length − 1, as the validation text's; entropy[i] is that of the distribution that chose
        // the token at position prompt + i (the last pass chose one beyond the text's length, dropped).
        return new Trace(
            m.Label,
            "generated",
            text.Name,
            session.Tokens(0)[..length],
            [.. rows.Select(ToMatrix)],
            [.. entropy.Take(length - prompt)],
            prompt
        );
    }

    private static Matrix<double> ToMatrix(List<double[]> rows) => Matrix<double>.Build.DenseOfRowArrays(rows); // [positions × d_model]
}

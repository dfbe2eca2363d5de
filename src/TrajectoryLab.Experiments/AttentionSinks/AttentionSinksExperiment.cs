// attention-sinks: where attention goes at the start of a text, and what happens to perplexity past the training context
// when the key–value cache keeps only a window of recent positions, with and without the first positions (StreamingLLM).
// Per model (trained and random init): the attention weight on position 0 and on the first S positions, per layer × head
// and per query position, over the first C tokens of Brown validation texts; then every text read in one pass under
// full attention, a plain window of C positions, and k sinks + a window of C − k (positions re-indexed within the cache,
// CachePolicy), with the surprisal of every position. A stepwise decode of the first text through the streaming cache
// checks the single pass. A model the policies cannot run on (learned positions, windows everywhere) is read under full
// attention only, within its positions, and the report says why.
// Reference: Xiao, Tian, Chen, Han & Lewis (2024), "Efficient Streaming Language Models with Attention Sinks", ICLR,
// arXiv:2309.17453: §3.1 (attention sinks), §3.2 (rolling cache with sinks), Table 1 (window vs 4 + window perplexity).
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Experiments.Shared;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.AttentionSinks;

/// <summary>Attention mass on the first positions and perplexity under full attention, a window, and window + sinks.</summary>
public sealed class AttentionSinksExperiment(ProjectPaths paths) : Experiment<AttentionSinksOptions, AttentionSinksResult>
{
    /// <inheritdoc/>
    public override string Kind => "attention-sinks";

    /// <inheritdoc/>
    public override AttentionSinksResult Measure(AttentionSinksOptions o, IMeasureContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Measure returns
        var (models, tokenizer, folder) = loaded;
        var spec = models[0].Model.Spec;
        var context = o.Context > 0 ? o.Context : spec.MaxPositionEmbeddings;
        var budget = o.Budget > 0 ? o.Budget : context;
        var problem = new CachePolicy(0, budget).ProblemWith(spec);
        var limit = spec.Block.Positions == PositionKind.Learned ? spec.MaxPositionEmbeddings : int.MaxValue;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths))
            .Select(t => t with { Tokens = t.Tokens[..Math.Min(t.Tokens.Length, limit)] })
            .Where(t => t.Tokens.Length > o.StartPositions + 1)
            .ToArray();
        if (texts.Length == 0)
            throw new ArgumentException($"text: no text has more than startPositions + 1 = {o.StartPositions + 1} tokens");
        var policies = new List<(string Label, CachePolicy? Policy)> { ("full", null) };
        if (problem is null)
        {
            policies.Add(("window", new CachePolicy(0, budget)));
            policies.AddRange(
                o.Sinks.Distinct().Order().Select(k => ($"{k} sink{(k == 1 ? "" : "s")}", (CachePolicy?)new CachePolicy(k, budget - k)))
            );
        }

        var mass = new List<SinkMass>();
        var readings = new List<PolicyReading>();
        var firstText = new Dictionary<string, double[]>(); // trained model's surprisals of text 0 per policy
        run.Phase("patterns", () =>
        {
            using var progress = run.Progress("texts", (long)models.Count * texts.Length);
            foreach (var m in models)
                mass.Add(Mass(m, texts, Math.Min(context, texts.Max(t => t.Tokens.Length)), o.StartPositions, progress, run));
        });
        run.Phase("policies", () =>
        {
            using var progress = run.Progress("passes", (long)models.Count * policies.Count * texts.Length);
            foreach (var m in models)
                try
                {
                    foreach (var (label, policy) in policies)
                    {
                        m.Model.Cache = policy;
                        var surprisals = texts
                            .Select(t =>
                            {
                                run.Cancellation.ThrowIfCancellationRequested();
                                var s = Surprisals(m.Model, t.Tokens);
                                progress.Advance();
                                return s;
                            })
                            .ToArray();
                        if (m == models[0])
                            firstText[label] = surprisals[0];
                        readings.Add(Reading(m.Label, label, policy, surprisals, context));
                    }
                }
                finally
                {
                    m.Model.Cache = null;
                }
        });
        DecodeCheck? decode = null;
        if (o.CheckDecode && problem is null)
            decode = run.Phase("decode check", () => Decode(models[0].Model, policies[^1], texts[0].Tokens, firstText[policies[^1].Label]));
        return new AttentionSinksResult(
            ModelFacts.Of(o.Model.Name, folder, models[0].Model),
            context,
            budget,
            [.. texts.Select(t => t.Tokens.Length)],
            problem,
            mass,
            readings,
            decode
        );
    }

    /// <inheritdoc/>
    public override void Report(AttentionSinksOptions o, AttentionSinksResult result, RunContext run) =>
        AttentionSinksReport.Render(o, result, run);

    /// <summary>The attention weight on position 0 and on the first <paramref name="start"/> positions, over the first
    /// <paramref name="context"/> tokens of every text, under full attention.</summary>
    private static SinkMass Mass(
        MeasuredModel m,
        IReadOnlyList<TokenizedText> texts,
        int context,
        int start,
        ProgressReporter progress,
        IMeasureContext run
    )
    {
        var spec = m.Model.Spec;
        var sums = new SinkMassAccumulator(m.Label, spec.NumLayers, spec.NumHeads, context, start);
        foreach (var text in texts)
        {
            run.Cancellation.ThrowIfCancellationRequested();
            var tokens = text.Tokens[..Math.Min(text.Tokens.Length, context)];
            sums.Add(PrefillPass.Read(m.Model, tokens, patterns: true, residual: false).Patterns);
            progress.Advance();
        }
        return sums.Result();
    }

    /// <summary>−ln p of every next token of <paramref name="tokens"/> in one pass under the model's current policy.</summary>
    /// <returns>[n − 1] nats: entry t is the surprisal of token t + 1.</returns>
    private static double[] Surprisals(LanguageModel model, int[] tokens)
    {
        var capture = PrefillPass.Read(model, tokens, patterns: false, residual: false);
        var observed = tokens.Skip(1).Append(0).ToArray(); // the last row has no next token; its entry is dropped
        var stats = TokenEntropy.Compute(LogitsBatch.FromFloats(capture.Logits, model.Spec.VocabSize), observed: observed);
        return stats.Surprisal![..^1];
    }

    /// <summary>Means over texts, position by position, and the perplexities of one model under one policy.</summary>
    private static PolicyReading Reading(string model, string label, CachePolicy? policy, double[][] surprisals, int context)
    {
        var length = surprisals.Max(s => s.Length);
        var mean = new double[length];
        for (var t = 0; t < length; t++)
            mean[t] = surprisals.Where(s => s.Length > t).Average(s => s[t]);
        double Perplexity(Func<int, bool> keep)
        {
            var kept = surprisals.SelectMany(s => s.Where((_, t) => keep(t))).ToArray();
            return kept.Length == 0 ? double.NaN : Math.Exp(kept.Average());
        }
        return new PolicyReading(
            model,
            label,
            policy?.Sinks ?? 0,
            policy?.Window ?? 0,
            mean,
            Perplexity(_ => true),
            Perplexity(t => t < context),
            Perplexity(t => t >= context)
        );
    }

    /// <summary>The first text decoded one forced token per step under <paramref name="policy"/>, its surprisals against
    /// those of the single pass.</summary>
    private static DecodeCheck Decode(LanguageModel model, (string Label, CachePolicy? Policy) policy, int[] tokens, double[] pass)
    {
        model.Cache = policy.Policy;
        try
        {
            var n = tokens.Length;
            using var session = model.StartSession(new GenerationOptions { MaxNewTokens = n - 1, Outputs = StepOutputs.LogProbs });
            var worst = 0.0;
            var step = session.Prefill(
                [
                    [tokens[0]],
                ],
                force: [tokens[1]]
            );
            for (var t = 0; ; t++)
            {
                var surprisal = -(double)step.LogProbs![0][tokens[t + 1]];
                worst = Math.Max(worst, Math.Abs(surprisal - pass[t]));
                if (t + 2 >= n)
                    break;
                step = session.Step(force: [tokens[t + 2]]);
            }
            return new DecodeCheck(policy.Label, n - 1, worst);
        }
        finally
        {
            model.Cache = null;
        }
    }
}

// ffn-memory: the feed-forward layers as key–value memories (Geva et al. 2021). Each MLP unit i of layer l has a key
// (column i of W_gate and W_in: what the hidden activation of unit i, hook_post[i], responds to) and a value (row i of
// W_out, the vector hook_post[i] scales into the residual stream). One prefill per validation text captures hook_post
// of every layer at every position; each unit keeps its top-N prefixes (largest hook_post at the prefix's last token)
// with the token that follows. Each value is read by the model's head (final-norm weight, unembedding) to its top
// tokens. Then, on the trained model, each layer's MLP is ablated (hook_mlp_out set to 0, or to its mean over the texts'
// positions, at every position) and the texts' code length measured. The report derives the agreement rates and the
// shuffled baseline (FfnMemoryMeasures) and renders (FfnMemoryReport).
// Reference: Geva, Schuster, Berant & Levy (2021), "Transformer Feed-Forward Layers Are Key-Value Memories", EMNLP
// (arXiv:2012.14913).
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.FfnMemory;

/// <summary>Captures every MLP unit's activations on validation text, reads its value through the head, and ablates each
/// layer's MLP.</summary>
/// <param name="paths">The project paths (to find the model and the corpus).</param>
public sealed class FfnMemoryExperiment(ProjectPaths paths) : Experiment<FfnMemoryOptions, FfnMemoryResult>
{
    /// <inheritdoc/>
    public override string Kind => "ffn-memory";

    /// <inheritdoc/>
    public override FfnMemoryResult Measure(FfnMemoryOptions o, IMeasureContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Measure returns
        var (models, tokenizer, folder) = loaded;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        if (texts.Count == 0 || texts.All(t => t.Tokens.Length < 3))
            throw new ArgumentException("text: no text has the 3 tokens a prefix needs (BOS, a trigger token and the next token)");
        var spec = models[0].Model.Spec;
        var (layers, width, d) = (spec.NumLayers, spec.IntermediateSize, spec.HiddenSize);
        var units = new List<UnitReading>();
        var bits = new List<BitsReading>();
        foreach (var m in models)
        {
            var trained = ReferenceEquals(m, models[0]);
            var top = Enumerable.Range(0, layers).Select(_ => new TopActivations(width, o.TopPrefixes)).ToArray();
            var sums = Enumerable.Range(0, layers).Select(_ => new double[d]).ToArray(); // Σ hook_mlp_out over positions
            long positions = 0;
            var textBits = new double[texts.Count];
            var textTokens = new int[texts.Count];
            run.Phase($"keys ({m.Label})", () =>
            {
                using var progress = run.Progress($"prefills ({m.Label})", texts.Count);
                foreach (var batch in Batches(texts))
                {
                    run.Cancellation.ThrowIfCancellationRequested();
                    var step = Prefill(m.Model, texts, batch, [.. Enumerable.Range(0, layers).SelectMany(Captured)], null);
                    for (var b = 0; b < batch.Length; b++)
                    {
                        var (i, tokens) = (batch[b], texts[batch[b]].Tokens);
                        for (var l = 0; l < layers; l++)
                        {
                            top[l].OfferText(step.Activations[HookNames.MlpPost(l)].Rows[b], i, tokens); // [n, d_mlp]
                            var output = step.Activations[HookNames.MlpOut(l)].Rows[b]; // [n, d_model]
                            for (var t = 0; t < tokens.Length; t++)
                            for (var j = 0; j < d; j++)
                                sums[l][j] += output[t * d + j];
                        }
                        positions += tokens.Length;
                        (textBits[i], textTokens[i]) = FfnMemoryMeasures.CodeLength(step.Activations[HookNames.Logits].Rows[b], tokens);
                        progress.Advance();
                    }
                }
            });
            bits.Add(new BitsReading(m.Label, "none", -1, textBits, textTokens));
            run.Phase($"values ({m.Label})", () =>
            {
                for (var l = 0; l < layers; l++)
                {
                    var (_, wOut) = m.Model.Weight(ParameterNames.Block(l, ParameterNames.WOut)); // [d_mlp, d_model]
                    var values = Enumerable.Range(0, width).Select(u => wOut.AsSpan(u * d, d).ToArray()).ToArray(); // v_u
                    var read = FfnMemoryMeasures.HeadTop(m.Model, values, o.ValueTopK);
                    for (var u = 0; u < width; u++)
                    {
                        var kept = top[l].Of(u);
                        units.Add(
                            new UnitReading(
                                m.Label,
                                l,
                                u,
                                read[u].Ids,
                                read[u].Logits,
                                [.. kept.Select(e => e.Value)],
                                [.. kept.Select(e => e.Text)],
                                [.. kept.Select(e => e.Position)],
                                [.. kept.Select(e => e.Next)]
                            )
                        );
                    }
                }
            });
            if (trained && o.Ablations)
                run.Phase("ablations", () => bits.AddRange(Ablate(o, run, m, texts, sums, positions)));
        }
        return new FfnMemoryResult(
            ModelFacts.Of(o.Model.Name, folder, models[0].Model),
            [.. models.Select(m => m.Label)],
            width,
            [.. Enumerable.Range(0, spec.VocabSize).Select(id => id < tokenizer.VocabularySize ? tokenizer.TokenText(id) : $"#{id}")],
            [.. texts.Select(t => new TextTokens(t.Name, t.Tokens, [.. t.Tokens.Select(tokenizer.TokenText)]))],
            texts.Sum(t => Math.Max(0, t.Tokens.Length - 2L)),
            units,
            bits
        );
    }

    /// <summary>The hook points the unablated pass captures of layer <paramref name="l"/>; the logits come with layer 0.</summary>
    private static IEnumerable<string> Captured(int l) =>
        l == 0 ? [HookNames.Logits, HookNames.MlpPost(l), HookNames.MlpOut(l)] : [HookNames.MlpPost(l), HookNames.MlpOut(l)];

    /// <summary>Texts per prefill: a batch of equal-length texts runs as one forward pass (the same numbers as one at a
    /// time up to float32 rounding, in fewer, larger matrix products).</summary>
    public const int BatchRows = 8;

    /// <summary>The indices of the texts in batches of up to <see cref="BatchRows"/> texts of equal length, in text order
    /// within each length.</summary>
    public static IEnumerable<int[]> Batches(IReadOnlyList<TokenizedText> texts) =>
        Enumerable.Range(0, texts.Count).GroupBy(i => texts[i].Tokens.Length).SelectMany(g => g.Chunk(BatchRows));

    /// <summary>One prefill of the texts <paramref name="batch"/> with the head at every position and
    /// <paramref name="capture"/> captured, under <paramref name="intervention"/> if given; row b is text batch[b].</summary>
    private static StepResult Prefill(
        LanguageModel model,
        IReadOnlyList<TokenizedText> texts,
        int[] batch,
        string[] capture,
        Intervention? intervention
    )
    {
        using var session = model.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = 1,
                PromptLogits = true,
                Capture = capture,
                Interventions = intervention is null ? [] : [intervention],
            }
        );
        return session.Prefill([.. batch.Select(i => texts[i].Tokens)]);
    }

    /// <summary>The code length of every text with each layer's MLP output replaced at every position by 0 (zero
    /// ablation) or by its mean over the <paramref name="positions"/> positions of the unablated pass (mean ablation).</summary>
    private static IEnumerable<BitsReading> Ablate(
        FfnMemoryOptions o,
        IMeasureContext run,
        MeasuredModel m,
        IReadOnlyList<TokenizedText> texts,
        double[][] sums,
        long positions
    )
    {
        var layers = sums.Length;
        var readings = new List<BitsReading>();
        using var progress = run.Progress("ablated prefills", 2L * layers * texts.Count);
        for (var l = 0; l < layers; l++)
            foreach (var kind in new[] { "zero", "mean" })
            {
                var vector = kind == "zero" ? new float[sums[l].Length] : [.. sums[l].Select(s => (float)(s / positions))];
                var ablation = Intervention.Replace(HookNames.MlpOut(l), vector) with { EveryPosition = true };
                var textBits = new double[texts.Count];
                var textTokens = new int[texts.Count];
                foreach (var batch in Batches(texts))
                {
                    run.Cancellation.ThrowIfCancellationRequested();
                    var step = Prefill(m.Model, texts, batch, [HookNames.Logits], ablation);
                    for (var b = 0; b < batch.Length; b++)
                    {
                        var i = batch[b];
                        (textBits[i], textTokens[i]) = FfnMemoryMeasures.CodeLength(
                            step.Activations[HookNames.Logits].Rows[b],
                            texts[i].Tokens
                        );
                        progress.Advance();
                    }
                }
                readings.Add(new BitsReading(m.Label, kind, l, textBits, textTokens));
            }
        return readings;
    }

    /// <inheritdoc/>
    public override void Report(FfnMemoryOptions o, FfnMemoryResult result, RunContext run) => FfnMemoryReport.Render(o, result, run);
}

// attention-dilution: attention entropy per head and layer against query position, normalised by ln t (t = keys the
// query sees; uniform attention gives 1), on texts up to and beyond the training context; how the top residual's norm,
// its effective rank over position windows and the next-token entropy and surprisal drift past that length; and a
// key–value retrieval probe (accuracy against the position of the relevant pair). Trained model vs random init.
// References: Zhai et al. (2023), "Stabilizing Transformer Training by Preventing Attention Entropy Collapse", ICML;
// Veličković et al. (2024), "softmax is not enough", arXiv:2410.01104 (dilution); Press et al. (2022), "Train Short,
// Test Long", ICLR; Su et al. (2024), "RoFormer", Neurocomputing 568 (RoPE); Liu et al. (2024), "Lost in the Middle",
// TACL 12; Roy & Vetterli (2007), "The effective rank", EUSIPCO.
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Experiments.AttentionDilution;

/// <summary>What one model measured: per-position means over texts, window ranks and the retrieval scores.</summary>
/// <param name="Label">"trained" or "random init".</param>
/// <param name="Normalised">H/ln t per [layer][head], by query position.</param>
/// <param name="Raw">H in nats per layer (mean over heads), by query position.</param>
/// <param name="Norm">‖h‖ of the top residual, by position.</param>
/// <param name="Entropy">Entropy (nats) of the next-token distribution at each position.</param>
/// <param name="Surprisal">−ln p of the token that follows each position.</param>
/// <param name="Ranks">Effective and stable rank of the top residual over windows: (text, window start, rank summary).</param>
/// <param name="Retrieval">Scores of the key–value probe.</param>
public sealed record DilutionProfile(string Label, PositionProfile[][] Normalised, PositionProfile[] Raw, PositionProfile Norm,
    PositionProfile Entropy, PositionProfile Surprisal, List<(string Text, int Start, RankSummary Rank)> Ranks, List<RetrievalScore> Retrieval)
{
    /// <summary>Attention rows with NaN or negative weights (their entropy is NaN and left out).</summary>
    public int BadRows { get; set; }
}

/// <summary>Attention entropy against position, hidden-state drift past the training context, and the retrieval probe.</summary>
public sealed class AttentionDilutionExperiment(ProjectPaths paths) : Experiment<AttentionDilutionOptions>
{
    /// <inheritdoc/>
    public override string Kind => "attention-dilution";

    /// <inheritdoc/>
    protected override void Run(AttentionDilutionOptions o, RunContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Run returns
        var (models, tokenizer, folder) = loaded;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        if (texts.Count == 0) throw new ArgumentException("text: no text has 2 tokens or more");
        var length = texts.Max(t => t.Tokens.Length);
        var profiles = new List<DilutionProfile>();
        run.Phase("prefill", () =>
        {
            using var progress = run.Progress("texts", (long)models.Count * texts.Count);
            foreach (var m in models)
            {
                var p = Empty(m.Label, m.Model.Spec, length);
                foreach (var text in texts)
                {
                    run.Cancellation.ThrowIfCancellationRequested();
                    Measure(m.Model, text, o.Window, p);
                    progress.Advance();
                }
                profiles.Add(p);
            }
        });
        if (o.Retrieval.Pairs > 0)
            run.Phase("retrieval", () =>
            {
                for (var i = 0; i < models.Count; i++)
                    profiles[i].Retrieval.AddRange(KeyValueProbe.Run(models[i].Model, tokenizer, o.Retrieval, o.Seed, run.Cancellation));
            });
        AttentionDilutionReport.Write(run, o, profiles, texts, folder, models[0].Model.Spec);
    }

    private static DilutionProfile Empty(string label, Torch.Models.ModelSpec spec, int length) => new(label,
        [.. Enumerable.Range(0, spec.NumLayers).Select(_ => Enumerable.Range(0, spec.NumHeads).Select(_ => new PositionProfile(length)).ToArray())],
        [.. Enumerable.Range(0, spec.NumLayers).Select(_ => new PositionProfile(length))],
        new PositionProfile(length), new PositionProfile(length), new PositionProfile(length), [], []);

    /// <summary>One prefill of <paramref name="text"/>: attention entropies, residual norms and ranks, next-token entropy and surprisal.</summary>
    private static void Measure(LanguageModel model, TokenizedText text, int window, DilutionProfile p)
    {
        var spec = model.Spec;
        var n = text.Tokens.Length;
        var c = PrefillPass.Read(model, text.Tokens, patterns: true, residual: true);
        for (var l = 0; l < spec.NumLayers; l++)
        {
            var a = AttentionEntropy.Compute(c.Patterns[l], spec.NumHeads, n, n); // PerQuery, NormalisedPerQuery: [heads, n]
            p.BadRows += a.BadRows;
            for (var t = 0; t < n; t++)
            {
                for (var h = 0; h < spec.NumHeads; h++) p.Normalised[l][h].Add(t, a.NormalisedPerQuery[h * n + t]);
                p.Raw[l].Add(t, Enumerable.Range(0, spec.NumHeads).Average(h => a.PerQuery[h * n + t]));
            }
        }

        var d = spec.HiddenSize;
        var residual = Matrix<double>.Build.Dense(n, d, (i, j) => c.TopResidual[i * d + j]); // [n, d_model]
        for (var t = 0; t < n; t++) p.Norm.Add(t, residual.Row(t).L2Norm());
        for (var start = 0; start + window <= n; start += window)
            p.Ranks.Add((text.Name, start, RankMeasures.Compute(residual.SubMatrix(start, window, 0, d))));

        // Row t predicts token t + 1; the last row has no observed token (a placeholder id, its surprisal is not used).
        var observed = text.Tokens.Skip(1).Append(0).ToArray();
        var stats = TokenEntropy.Compute(LogitsBatch.FromFloats(c.Logits, spec.VocabSize), observed: observed);
        for (var t = 0; t < n; t++)
        {
            p.Entropy.Add(t, stats.Entropy[t]);
            if (t < n - 1) p.Surprisal.Add(t, stats.Surprisal![t]);
        }
    }
}

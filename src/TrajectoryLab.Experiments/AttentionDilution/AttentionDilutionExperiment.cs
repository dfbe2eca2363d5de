// attention-dilution: attention entropy per head and layer against query position, normalised by ln t (t = keys the
// query sees; uniform attention gives 1), on texts up to and beyond the training context; how the top residual's norm,
// its effective rank over position windows and the next-token entropy and surprisal drift past that length; and a
// key–value retrieval probe (accuracy against the position of the relevant pair). Trained model vs random init.
// The measurement prefills the texts and runs the probe; AttentionDilutionReport compares and renders.
// References: Zhai et al. (2023), "Stabilizing Transformer Training by Preventing Attention Entropy Collapse", ICML;
// Veličković et al. (2024), "softmax is not enough", arXiv:2410.01104 (dilution); Press et al. (2022), "Train Short,
// Test Long", ICLR; Su et al. (2024), "RoFormer", Neurocomputing 568 (RoPE); Liu et al. (2024), "Lost in the Middle",
// TACL 12; Roy & Vetterli (2007), "The effective rank", EUSIPCO.
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.AttentionDilution;

/// <summary>Attention entropy against position, hidden-state drift past the training context, and the retrieval probe.</summary>
public sealed class AttentionDilutionExperiment(ProjectPaths paths) : Experiment<AttentionDilutionOptions, AttentionDilutionResult>
{
    /// <inheritdoc/>
    public override string Kind => "attention-dilution";

    /// <inheritdoc/>
    public override AttentionDilutionResult Measure(AttentionDilutionOptions o, IMeasureContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Measure returns
        var (models, tokenizer, folder) = loaded;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        if (texts.Count == 0)
            throw new ArgumentException("text: no text has 2 tokens or more");
        var length = texts.Max(t => t.Tokens.Length);
        var sums = new List<Accumulator>();
        run.Phase("prefill", () =>
        {
            using var progress = run.Progress("texts", (long)models.Count * texts.Count);
            foreach (var m in models)
            {
                var p = new Accumulator(m.Model.Spec, length);
                foreach (var text in texts)
                {
                    run.Cancellation.ThrowIfCancellationRequested();
                    Read(m.Model, text, o.Window, p);
                    progress.Advance();
                }
                sums.Add(p);
            }
        });
        var retrieval = models.Select(_ => new List<RetrievalScore>()).ToArray();
        if (o.Retrieval.Pairs > 0)
            run.Phase("retrieval", () =>
            {
                for (var i = 0; i < models.Count; i++)
                    retrieval[i].AddRange(KeyValueProbe.Run(models[i].Model, tokenizer, o.Retrieval, o.Seed, run.Cancellation));
            });
        var spec = models[0].Model.Spec;
        return new AttentionDilutionResult(
            ModelFacts.Of(o.Model.Name, folder, models[0].Model),
            spec.NumHeads,
            spec.RopeTheta,
            spec.MaxPositionEmbeddings,
            [.. texts.Select(t => t.Tokens.Length)],
            [.. models.Select((m, i) => sums[i].Profile(m.Label, retrieval[i]))]
        );
    }

    /// <inheritdoc/>
    public override void Report(AttentionDilutionOptions o, AttentionDilutionResult result, RunContext run) =>
        AttentionDilutionReport.Render(o, result, run);

    /// <summary>One model's running sums over texts.</summary>
    private sealed class Accumulator(ModelSpec spec, int length)
    {
        /// <summary>H/ln t per [layer][head], by query position.</summary>
        public PositionProfile[][] Normalised { get; } =
        [
            .. Enumerable
                .Range(0, spec.NumLayers)
                .Select(_ => Enumerable.Range(0, spec.NumHeads).Select(_ => new PositionProfile(length)).ToArray()),
        ];

        /// <summary>H in nats per layer (mean over heads), by query position.</summary>
        public PositionProfile[] Raw { get; } = [.. Enumerable.Range(0, spec.NumLayers).Select(_ => new PositionProfile(length))];

        /// <summary>‖h‖ of the top residual, by position.</summary>
        public PositionProfile Norm { get; } = new(length);

        /// <summary>Entropy (nats) of the next-token distribution at each position.</summary>
        public PositionProfile Entropy { get; } = new(length);

        /// <summary>−ln p of the token that follows each position.</summary>
        public PositionProfile Surprisal { get; } = new(length);

        /// <summary>Ranks of the top residual over windows, text by text.</summary>
        public List<WindowRank> Ranks { get; } = [];

        /// <summary>Attention rows with NaN or negative weights.</summary>
        public int BadRows { get; set; }

        /// <summary>The per-position means, with the probe's scores.</summary>
        public DilutionProfile Profile(string label, IReadOnlyList<RetrievalScore> retrieval) =>
            new(
                label,
                [.. Normalised.Select(heads => heads.Select(h => h.Means()).ToArray())],
                [.. Raw.Select(l => l.Means())],
                Norm.Means(),
                Entropy.Means(),
                Surprisal.Means(),
                Ranks,
                retrieval,
                BadRows
            );
    }

    /// <summary>One prefill of <paramref name="text"/>: attention entropies, residual norms and ranks, next-token entropy and
    /// surprisal.</summary>
    private static void Read(LanguageModel model, TokenizedText text, int window, Accumulator p)
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
                for (var h = 0; h < spec.NumHeads; h++)
                    p.Normalised[l][h].Add(t, a.NormalisedPerQuery[h * n + t]);
                p.Raw[l].Add(t, Enumerable.Range(0, spec.NumHeads).Average(h => a.PerQuery[h * n + t]));
            }
        }

        var d = spec.HiddenSize;
        var residual = Matrix<double>.Build.Dense(n, d, (i, j) => c.TopResidual[i * d + j]); // [n, d_model]
        for (var t = 0; t < n; t++)
            p.Norm.Add(t, residual.Row(t).L2Norm());
        for (var start = 0; start + window <= n; start += window)
        {
            var rank = RankMeasures.Compute(residual.SubMatrix(start, window, 0, d)); // over [window, d_model]
            p.Ranks.Add(new WindowRank(text.Name, start, rank.EffectiveRank, rank.StableRank, rank.Breakdown));
        }

        // Row t predicts token t + 1; the last row has no observed token (a placeholder id, its surprisal is not used).
        var observed = text.Tokens.Skip(1).Append(0).ToArray();
        var stats = TokenEntropy.Compute(LogitsBatch.FromFloats(c.Logits, spec.VocabSize), observed: observed);
        for (var t = 0; t < n; t++)
        {
            p.Entropy.Add(t, stats.Entropy[t]);
            if (t < n - 1)
                p.Surprisal.Add(t, stats.Surprisal![t]);
        }
    }
}

// What the repetition-attractors experiment measures with the public generation API: the batched loop sweep over prompts ×
// strategies × temperatures (tokens, entropy of the model's own distribution, top-residual states, terminal cycle), the
// self-reinforcement curve of a sentence repeated n times in the context, and recurrence quantification of one trajectory.
// References: Holtzman et al. (2020), ICLR ("The Curious Case of Neural Text Degeneration"); Xu et al. (2022), NeurIPS
// ("Learning to Break the Loop", self-reinforcement effect); Welleck et al. (2020), ICLR (seq-rep-n);
// Marwan et al. (2007), Phys. Rep. 438:237 (recurrence plots and RQA); Scheffer et al. (2009), Nature 461:53 (early warnings).
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Experiments.RepetitionAttractors;

/// <summary>One generation of the sweep.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Prompt">Prompt index.</param>
/// <param name="Strategy">Strategy name ("greedy", "top-k", ...).</param>
/// <param name="Temperature">Temperature (0 for greedy).</param>
/// <param name="Context">[P] the prompt ids the row read (BOS first).</param>
/// <param name="Tokens">[Steps] generated ids.</param>
/// <param name="Entropy">[Steps] entropy (nats) of the model's distribution at T = 1 that each token was drawn from (after the sampler's
/// own truncation, not measured).</param>
/// <param name="States">[Steps][d_model] h at the top of the stack at the position whose logits chose each token.</param>
/// <param name="Cycle">The terminal cycle of <paramref name="Tokens"/>.</param>
public sealed record Generation(
    string Model,
    int Prompt,
    string Strategy,
    double Temperature,
    int[] Context,
    int[] Tokens,
    double[] Entropy,
    float[][] States,
    Cycle Cycle
);

/// <summary>Measurements of the repetition-attractors experiment.</summary>
public static class RepetitionAttractorsMeasures
{
    /// <summary>The (strategy, temperature) rows of the sweep: greedy once, every other strategy at every temperature.</summary>
    /// <param name="o">The options.</param>
    public static (string Strategy, double Temperature)[] Cells(RepetitionAttractorsOptions o) =>
        [.. o.Strategies.SelectMany(s => s == "greedy" ? [(s, 0.0)] : o.Temperatures.Select(t => (s, t)))];

    /// <summary>Generates every prompt × cell, batching prompts of equal token length into one session.</summary>
    /// <param name="label">Model label.</param>
    /// <param name="model">The model.</param>
    /// <param name="prompts">[prompts][P_i] ids, BOS first.</param>
    /// <param name="o">The options.</param>
    /// <param name="cancellation">Stops between steps.</param>
    /// <returns>The generations, by prompt then decoding setting.</returns>
    public static List<Generation> Sweep(
        string label,
        LanguageModel model,
        int[][] prompts,
        RepetitionAttractorsOptions o,
        CancellationToken cancellation
    )
    {
        var cells = Cells(o);
        var result = new List<Generation>();
        foreach (var group in Enumerable.Range(0, prompts.Length).GroupBy(p => prompts[p].Length))
        {
            var rows = group.SelectMany(p => cells.Select(c => (Prompt: p, Cell: c))).ToArray();
            result.AddRange(Batch(label, model, prompts, rows, cells, o, cancellation));
        }
        return [.. result.OrderBy(g => g.Prompt).ThenBy(g => Array.IndexOf(cells, (g.Strategy, g.Temperature)))];
    }

    static List<Generation> Batch(
        string label,
        LanguageModel model,
        int[][] prompts,
        (int Prompt, (string Strategy, double Temperature) Cell)[] rows,
        (string Strategy, double Temperature)[] cells,
        RepetitionAttractorsOptions o,
        CancellationToken cancellation
    )
    {
        var top = HookNames.ResidPost(model.Spec.NumLayers - 1);
        var d = model.Spec.HiddenSize;
        using var session = model.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = o.Steps,
                RowSamplers = [.. rows.Select(r => o.Sampler(r.Cell.Strategy, r.Cell.Temperature))],
                Seed = o.Seed,
                StreamIds = [.. rows.Select(r => (long)(r.Prompt * 1000 + Array.IndexOf(cells, r.Cell)))],
                Outputs = StepOutputs.LogProbs,
                Capture = [top],
            }
        );
        var tokens = rows.Select(_ => new int[o.Steps]).ToArray(); // [rows][Steps]
        var entropy = rows.Select(_ => new double[o.Steps]).ToArray(); // [rows][Steps]
        var states = rows.Select(_ => new float[o.Steps][]).ToArray(); // [rows][Steps][d_model]
        var buffer = new double[model.Spec.VocabSize]; // [d_vocab] one row's log-probabilities
        var step = session.Prefill([.. rows.Select(r => prompts[r.Prompt])]);
        for (var s = 0; s < o.Steps; s++)
        {
            cancellation.ThrowIfCancellationRequested();
            var h = step.Activations[top]; // Shape [pos, d_model]; the last position chose this step's token
            var offset = (h.Shape[0] - 1) * d;
            for (var r = 0; r < rows.Length; r++)
            {
                tokens[r][s] = step.Tokens[r];
                var lp = step.LogProbs![r];
                for (var k = 0; k < lp.Length; k++)
                    buffer[k] = lp[k];
                entropy[r][s] = TokenEntropy.Entropy(buffer.AsSpan(0, lp.Length));
                states[r][s] = h.Rows[r][offset..(offset + d)];
            }
            if (s < o.Steps - 1)
                step = session.Step();
        }
        return
        [
            .. rows.Select(
                (row, r) =>
                    new Generation(
                        label,
                        row.Prompt,
                        row.Cell.Strategy,
                        row.Cell.Temperature,
                        prompts[row.Prompt],
                        tokens[r],
                        entropy[r],
                        states[r],
                        CycleDetector.Detect(tokens[r], o.LoopRepeats)
                    )
            ),
        ];
    }

    /// <summary>Teacher-forces [BOS] + sentence × (N + 1) in one prefill and reads every token's probability from the logits at each
    /// position.</summary>
    /// <param name="label">Model label.</param>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">The tokenizer.</param>
    /// <param name="sentence">Sentence index.</param>
    /// <param name="text">The sentence.</param>
    /// <param name="repetitions">N.</param>
    public static Reinforcement SelfReinforcement(
        string label,
        LanguageModel model,
        ITextTokenizer tokenizer,
        int sentence,
        string text,
        int repetitions
    )
    {
        var ids = tokenizer.Encode(" " + text.Trim());
        var start = tokenizer.BosId ?? tokenizer.EosId;
        var context = (start is int b ? new[] { b } : []).Concat(Enumerable.Repeat(ids, repetitions + 1).SelectMany(x => x)).ToArray();
        if (context.Length > model.Spec.MaxPositionEmbeddings)
            throw new InvalidOperationException(
                $"sentence {sentence + 1} repeated {repetitions + 1} times is {context.Length} tokens, "
                    + $"beyond the model's context of {model.Spec.MaxPositionEmbeddings}"
            );
        using var session = model.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = 1,
                PromptLogits = true,
                Capture = [HookNames.Logits],
            }
        );
        var logits = session.Prefill([context]).Activations[HookNames.Logits]; // Shape [P, d_vocab]
        var v = logits.Shape[1];
        var first = context.Length - ids.Length * (repetitions + 1);
        var p = new double[repetitions + 1][]; // [N + 1][m]
        for (var k = 0; k <= repetitions; k++)
        {
            p[k] = new double[ids.Length];
            for (var j = 0; j < ids.Length; j++)
            {
                var q = first + k * ids.Length + j; // position of the token; predicted by the logits at q − 1
                var z = Array.ConvertAll(logits.Rows[0][((q - 1) * v)..(q * v)], x => (double)x);
                p[k][j] = Math.Exp(z[ids[j]] - TokenEntropy.OfLogits(z).LogPartition);
            }
        }
        return new Reinforcement(label, sentence, p);
    }

    /// <summary>Recurrence plot of a state sequence with ε = the given quantile of its pairwise distances (i &lt; j), and its
    /// RQA.</summary>
    /// <param name="states">[N][d] states.</param>
    /// <param name="quantile">Quantile of the distances used as the threshold.</param>
    public static (RecurrencePlot Plot, RqaResult Rqa, double Threshold) Recurrence(float[][] states, double quantile)
    {
        var x = states.Select(s => Array.ConvertAll(s, v => (double)v)).ToArray();
        var distances = new List<double>();
        for (var i = 0; i < x.Length; i++)
        for (var j = i + 1; j < x.Length; j++)
        {
            var sum = 0.0;
            for (var c = 0; c < x[i].Length; c++)
                sum += (x[i][c] - x[j][c]) * (x[i][c] - x[j][c]);
            distances.Add(Math.Sqrt(sum));
        }
        var threshold = Sample.Quantile(distances, quantile);
        var plot = RecurrencePlot.Compute(x, double.IsNaN(threshold) ? 0 : threshold);
        return (plot, RecurrenceQuantification.Compute(plot), threshold);
    }

    /// <summary>The generations whose recurrence plots the report draws, per model: the first looping one (greedy first), and
    /// the non-looping one with the same prompt as it when there is one, the least repetitive (seq-rep-4) of those.</summary>
    /// <param name="generations">Every generation, in sweep order.</param>
    /// <param name="labels">Model labels.</param>
    /// <returns>Model label, "looping" or "non-looping", and the index into <paramref name="generations"/>.</returns>
    public static List<(string Model, string Kind, int Index)> RecurrenceExamples(
        IReadOnlyList<Generation> generations,
        IEnumerable<string> labels
    )
    {
        var examples = new List<(string Model, string Kind, int Index)>();
        foreach (var m in labels)
        {
            var mine = generations.Select((g, i) => (G: g, I: i)).Where(x => x.G.Model == m).ToArray();
            var looping = mine.Where(x => x.G.Cycle.IsLoop).OrderBy(x => x.G.Strategy != "greedy").Select(x => (int?)x.I).FirstOrDefault();
            int? prompt = looping is int l ? generations[l].Prompt : null;
            var free = mine.Where(x => !x.G.Cycle.IsLoop)
                .OrderBy(x => prompt is null || x.G.Prompt != prompt)
                .ThenBy(x => RepetitionMetrics.SeqRepN(x.G.Tokens, 4).Value)
                .Select(x => (int?)x.I)
                .FirstOrDefault();
            if (looping is int a)
                examples.Add((m, "looping", a));
            if (free is int b)
                examples.Add((m, "non-looping", b));
        }
        return examples;
    }

    /// <summary>[N][N] the plot's R_ij as rows.</summary>
    /// <param name="plot">A recurrence plot.</param>
    public static bool[][] Rows(RecurrencePlot plot) =>
        [.. Enumerable.Range(0, plot.Size).Select(i => Enumerable.Range(0, plot.Size).Select(j => plot[i, j]).ToArray())];
}

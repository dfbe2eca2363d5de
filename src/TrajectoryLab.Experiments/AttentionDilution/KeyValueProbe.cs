// A key–value retrieval probe in the style of "lost in the middle": a context of "key: value." pairs built from words,
// then the query "key:", scored on the first token of the correct value — ranked first among the values of the context,
// ranked first over the whole vocabulary, and its probability share among the context's values.
// The measurement runs it on each model (it needs the model); RetrievalScore is in AttentionDilutionResult.cs.
// All contexts share one left-padded prefill (docs/padding.md).
// Reference: Liu et al. (2024), "Lost in the Middle: How Language Models Use Long Contexts", TACL 12 (key–value retrieval).
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Experiments.AttentionDilution;

/// <summary>Builds and scores the probe's contexts.</summary>
public static class KeyValueProbe
{
    /// <summary>Scores <paramref name="o"/>.Trials contexts for each position of the relevant pair.</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokenizer">Its tokenizer.</param>
    /// <param name="o">Pairs, trials and words.</param>
    /// <param name="seed">Seed of the word draws (the same contexts for every model).</param>
    /// <param name="cancel">Stops between queries.</param>
    public static List<RetrievalScore> Run(
        LanguageModel model,
        ITextTokenizer tokenizer,
        RetrievalProbeOptions o,
        int seed,
        CancellationToken cancel
    )
    {
        var firstToken = o.Words.Distinct().ToDictionary(w => w, w => tokenizer.Encode(" " + w)[0]);
        var start = tokenizer.BosId ?? tokenizer.EosId;
        var queries = new List<(int Position, int Trial, string[] Values, int[] Tokens)>();
        for (var position = 1; position <= o.Pairs; position++)
        for (var trial = 0; trial < o.Trials; trial++)
        {
            var random = new Random(unchecked(seed * 1_000_003 + trial)); // same words at every position: only the order moves
            var (keys, values) = Draw(random, firstToken, o);
            // rotate so that pair 0 (the queried one) lands at `position`
            var order = Enumerable.Range(0, o.Pairs).Select(i => (i - (position - 1) + o.Pairs) % o.Pairs).ToArray();
            var text = string.Join(" ", order.Select(i => $"{keys[i]}: {values[i]}.")) + $" {keys[0]}:";
            queries.Add((position, trial, values, [.. (start is { } s ? new[] { s } : []).Concat(tokenizer.Encode(text))]));
        }

        cancel.ThrowIfCancellationRequested();
        var scores = new List<RetrievalScore>();
        // One prefill: contexts of unequal length are left-padded (docs/padding.md), each row read as if alone.
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 1, Outputs = StepOutputs.LogProbs });
        var logProbs = session.Prefill([.. queries.Select(r => r.Tokens)]).LogProbs!; // [batch][d_vocab]
        for (var i = 0; i < queries.Count; i++)
        {
            var lp = logProbs[i];
            var candidates = queries[i].Values.Select(v => (double)lp[firstToken[v]]).ToArray();
            var correct = candidates[0];
            var share = 1 / candidates.Sum(c => Math.Exp(c - correct)); // p(correct) / Σ p(values)
            scores.Add(
                new RetrievalScore(
                    queries[i].Position,
                    queries[i].Trial,
                    correct >= candidates.Max(),
                    lp.Max() <= (float)correct,
                    share,
                    queries[i].Tokens.Length
                )
            );
        }
        return [.. scores.OrderBy(r => r.Position).ThenBy(r => r.Trial)];
    }

    /// <summary>Distinct keys and values whose values start with distinct tokens (so the first token identifies the value).</summary>
    private static (string[] Keys, string[] Values) Draw(Random random, Dictionary<string, int> firstToken, RetrievalProbeOptions o)
    {
        var words = firstToken.Keys.OrderBy(_ => random.Next()).ToList();
        var values = new List<string>();
        var used = new HashSet<int>();
        foreach (var w in words)
            if (values.Count < o.Pairs && used.Add(firstToken[w]))
                values.Add(w);
        var keys = words.Except(values).Take(o.Pairs).ToArray();
        if (values.Count < o.Pairs || keys.Length < o.Pairs)
            throw new ArgumentException(
                $"retrieval:words: {firstToken.Count} words do not give {o.Pairs} keys and {o.Pairs} values with distinct first tokens"
            );
        return (keys, [.. values]);
    }
}

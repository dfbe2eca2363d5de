// Entropy of causal attention patterns per query and per head, raw and normalised by its maximum ln t.
// References: Zhai et al. (2023), "Stabilizing Transformer Training by Preventing Attention Entropy Collapse", ICML;
// Veličković et al. (2024), "softmax is not enough" (dilution: uniform attention over t keys has entropy ln t).

namespace TrajectoryLab.Core.Metrics;

/// <summary>Attention entropies of one layer.</summary>
/// <param name="Heads">Number of heads.</param>
/// <param name="Queries">Number of queries.</param>
/// <param name="PerQuery">H_{h,i} in nats, [heads, queries] row-major.</param>
/// <param name="NormalisedPerQuery">H_{h,i} / ln t_i ∈ [0, 1], [heads, queries]; NaN where t_i = 1 (a single key).</param>
/// <param name="PerHead">Mean over queries of H_{h,i}, ignoring NaN, [heads].</param>
/// <param name="NormalisedPerHead">Mean over queries of the normalised entropy, ignoring NaN, [heads].</param>
/// <param name="BadRows">Rows with NaN or negative weights in the causal part (their entropy is NaN).</param>
public sealed record AttentionEntropyResult(
    int Heads,
    int Queries,
    double[] PerQuery,
    double[] NormalisedPerQuery,
    double[] PerHead,
    double[] NormalisedPerHead,
    int BadRows
);

/// <summary>Entropy of attention patterns under a causal mask.</summary>
public static class AttentionEntropy
{
    /// <summary>Entropies of a pattern A [heads, queries, keys] (row-major) whose queries are the last positions of the keys.</summary>
    /// <param name="pattern">Attention weights, each row a distribution over keys.</param>
    /// <param name="heads">Number of heads.</param>
    /// <param name="queries">Number of queries Q ≤ keys; query i sits at position keys − Q + i (with a KV cache, Q = 1).</param>
    /// <param name="keys">Number of keys K.</param>
    /// <remarks>
    /// Query i sees t_i = K − Q + i + 1 keys; H_{h,i} = −Σ_{j&lt;t_i} a_j ln a_j with a the causal part of the row
    /// renormalised (weights past the mask are ignored). Uniform causal attention gives H = ln t_i, normalised 1
    /// (Zhai et al. 2023 average H over queries per head).
    /// </remarks>
    /// <exception cref="ArgumentException">Pattern length is not heads × queries × keys, or queries &gt; keys.</exception>
    public static AttentionEntropyResult Compute(ReadOnlySpan<double> pattern, int heads, int queries, int keys)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(heads);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(queries);
        ArgumentOutOfRangeException.ThrowIfLessThan(keys, queries);
        if (pattern.Length != heads * queries * keys)
        {
            throw new ArgumentException(
                $"Pattern length {pattern.Length} is not heads × queries × keys = {heads} × {queries} × {keys}.",
                nameof(pattern)
            );
        }

        var perQuery = new double[heads * queries];
        var normalised = new double[heads * queries];
        var badRows = 0;
        for (var row = 0; row < perQuery.Length; row++)
        {
            var visible = keys - queries + row % queries + 1; // t_i
            var s = TokenEntropy.OfProbabilities(pattern.Slice(row * keys, visible));
            badRows += s.Breakdown == MetricBreakdown.None ? 0 : 1;
            perQuery[row] = s.Entropy;
            normalised[row] = visible == 1 ? double.NaN : s.Entropy / Math.Log(visible);
        }

        return new AttentionEntropyResult(
            heads,
            queries,
            perQuery,
            normalised,
            MeanPerHead(perQuery, queries),
            MeanPerHead(normalised, queries),
            badRows
        );
    }

    /// <summary>Float32 overload of <see cref="Compute(ReadOnlySpan{double}, int, int, int)"/>; weights are widened to double.</summary>
    public static AttentionEntropyResult Compute(ReadOnlySpan<float> pattern, int heads, int queries, int keys) =>
        Compute(LogitsBatch.Widen(pattern), heads, queries, keys);

    private static double[] MeanPerHead(double[] values, int queries) => // values: [heads, queries]
        values.Chunk(queries).Select(h => EntropyAggregates.Summarize(h).Mean).ToArray();
}

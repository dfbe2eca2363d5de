// The indices of the k largest values of a vector, in one pass with an insertion-sorted list of k: the candidates of a
// lookahead, the top tokens of a value vector, an argmax. Largest first, the smaller index first among equal values (the
// order Core's Truncation and the sampler use), so that a result never depends on a sort's stability. −∞ sorts last;
// NaN is the caller's to refuse.
namespace TrajectoryLab.Core.Statistics;

/// <summary>Top-k selection over a vector.</summary>
public static class Ranking
{
    /// <summary>The indices of the <paramref name="k"/> largest values, largest first (the smaller index first on ties);
    /// fewer when the vector is shorter, none for k ≤ 0.</summary>
    /// <param name="values">The vector.</param>
    /// <param name="k">How many.</param>
    public static int[] TopIndices(ReadOnlySpan<float> values, int k)
    {
        k = Math.Min(Math.Max(k, 0), values.Length);
        var top = new int[k]; // indices, values[top[0]] ≥ values[top[1]] ≥ …
        if (k == 0)
            return top;
        var count = 0;
        for (var i = 0; i < values.Length; i++)
        {
            if (count == k && values[i] <= values[top[k - 1]])
                continue; // not above the smallest kept: an equal later index loses the tie
            var at = Math.Min(count, k - 1);
            while (at > 0 && values[top[at - 1]] < values[i])
            {
                top[at] = top[at - 1];
                at--;
            }
            if (count < k)
                count++;
            top[at] = i;
        }
        return top;
    }

    /// <summary>The index of the largest value (the smallest such index).</summary>
    /// <param name="values">A nonempty vector.</param>
    /// <exception cref="ArgumentException">An empty vector.</exception>
    public static int ArgMax(ReadOnlySpan<float> values) =>
        values.Length > 0 ? TopIndices(values, 1)[0] : throw new ArgumentException("argmax of an empty vector", nameof(values));
}

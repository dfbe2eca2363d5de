// Repetition metrics of generated text: seq-rep-n and rep/ℓ (Welleck et al. 2019, "Neural Text Generation
// with Unlikelihood Training"), distinct-n (Li et al. 2016, "A Diversity-Promoting Objective Function for
// Neural Conversation Models"), repetition % (Holtzman et al. 2019, "The Curious Case of Neural Text Degeneration").

namespace TrajectoryLab.Core.Metrics;

/// <summary>n-gram and window repetition of token sequences.</summary>
public static class RepetitionMetrics
{
    /// <summary>seq-rep-n = 1 − |unique n-grams| / |n-grams| of one sequence; TooShort when L &lt; n.</summary>
    /// <remarks>In [0, 1]; a constant sequence of length L gives 1 − 1/(L − n + 1). Welleck et al. (2019), eq. 9.</remarks>
    public static MetricValue SeqRepN(int[] tokens, int n)
    {
        var distinct = DistinctN([tokens], n);
        return distinct.Breakdown == MetricBreakdown.None ? MetricValue.Of(1 - distinct.Value) : distinct;
    }

    /// <summary>distinct-n = |unique n-grams| / |n-grams| pooled over all sequences; TooShort when there is no n-gram.</summary>
    /// <remarks>Li et al. (2016). n-grams never span two sequences.</remarks>
    public static MetricValue DistinctN(IReadOnlyList<int[]> sequences, int n)
    {
        ArgumentNullException.ThrowIfNull(sequences);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        var unique = new HashSet<ArraySegment<int>>(NGramComparer.Instance);
        var total = 0;
        foreach (var sequence in sequences)
        {
            for (var i = 0; i + n <= sequence.Length; i++)
            {
                unique.Add(new ArraySegment<int>(sequence, i, n));
                total++;
            }
        }

        return total == 0 ? MetricValue.Failed(MetricBreakdown.TooShort) : MetricValue.Of((double)unique.Count / total);
    }

    /// <summary>rep/ℓ: fraction of positions t ≥ <paramref name="start"/> whose token occurs among the ℓ tokens before it.</summary>
    /// <param name="tokens">The sequence (prompt and continuation).</param>
    /// <param name="window">ℓ ≥ 1.</param>
    /// <param name="start">First scored position (e.g. the prompt length); earlier tokens only serve as context.</param>
    /// <remarks>rep/ℓ = (1 / (L − start)) Σ_{t=start}^{L−1} 1[x_t ∈ {x_{t−ℓ}, …, x_{t−1}}]. Welleck et al. (2019), §6. TooShort when no
    /// position is scored.</remarks>
    public static MetricValue RepL(ReadOnlySpan<int> tokens, int window, int start = 0)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(window);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        if (start >= tokens.Length)
        {
            return MetricValue.Failed(MetricBreakdown.TooShort);
        }

        var repeats = 0;
        for (var t = start; t < tokens.Length; t++)
        {
            var from = Math.Max(0, t - window);
            if (tokens[from..t].Contains(tokens[t]))
            {
                repeats++;
            }
        }

        return MetricValue.Of((double)repeats / (tokens.Length - start));
    }

    /// <summary>Whether the sequence ends with a phrase of ≥ <paramref name="minPhraseLength"/> tokens repeated ≥ <paramref
    /// name="minRepeats"/> times in a row.</summary>
    /// <remarks>Holtzman et al. (2019), §4: true when for some m ≥ 2 the last 3m tokens are 3 copies of one m-token phrase.</remarks>
    public static bool EndsInRepetition(ReadOnlySpan<int> tokens, int minPhraseLength = 2, int minRepeats = 3)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(minPhraseLength);
        ArgumentOutOfRangeException.ThrowIfLessThan(minRepeats, 2);
        var length = tokens.Length;
        for (var m = minPhraseLength; m * minRepeats <= length; m++)
        {
            var tail = tokens[(length - m * minRepeats)..];
            if (tail[..^m].SequenceEqual(tail[m..]))
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Repetition % = 100 × the fraction of generations that <see cref="EndsInRepetition"/>; TooShort for none.</summary>
    /// <remarks>Holtzman et al. (2019), Table 1: GPT-2 Large greedy 73.66 %, nucleus p = 0.95 0.36 %, human text 0.28 %.</remarks>
    public static MetricValue RepetitionPercent(IReadOnlyList<int[]> generations, int minPhraseLength = 2, int minRepeats = 3)
    {
        ArgumentNullException.ThrowIfNull(generations);
        return generations.Count == 0
            ? MetricValue.Failed(MetricBreakdown.TooShort)
            : MetricValue.Of(100.0 * generations.Count(g => EndsInRepetition(g, minPhraseLength, minRepeats)) / generations.Count);
    }

    private sealed class NGramComparer : IEqualityComparer<ArraySegment<int>>
    {
        public static NGramComparer Instance { get; } = new();

        public bool Equals(ArraySegment<int> x, ArraySegment<int> y) => x.AsSpan().SequenceEqual(y.AsSpan());

        public int GetHashCode(ArraySegment<int> segment)
        {
            var hash = new HashCode();
            foreach (var token in segment)
            {
                hash.Add(token);
            }

            return hash.ToHashCode();
        }
    }
}

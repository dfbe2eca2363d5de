// Repetition metrics of generated text: seq-rep-n and rep/ℓ (Welleck et al. 2019, "Neural Text Generation
// with Unlikelihood Training"), distinct-n (Li et al. 2016, "A Diversity-Promoting Objective Function for
// Neural Conversation Models"), repetition % (Holtzman et al. 2019, "The Curious Case of Neural Text Degeneration").
// Checked against the authors' code: Welleck's seq-rep-n is custom/metrics.py ngram_metrics (pct_repeat_ngrams,
// 1 − |unique n-grams| / |n-grams| of one continuation, averaged over continuations); their token-level rep/ℓ is
// TrainingMetrics.repeat_at_1 (the argmax next-token prediction at t, teacher-forced, is among the ℓ gold tokens before
// t; wrep: and differs from the gold token; normalised by all predictions) — NextTokenRepL; RepL is the same count over
// a sequence's own tokens (a token that repeats one of the ℓ before it), which is the rep/ℓ of a generated continuation.
// Holtzman's repetition % is metrics/repetition.py of ari-holtzman/degen — EndsInHoltzmanLoop; EndsInRepetition is a
// simpler criterion (3 copies of a phrase of ≥ 2 tokens) kept for repetition-attractors.

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
    /// position is scored. The sequence's own tokens are its "predictions": <see cref="NextTokenRepL"/> with predictions =
    /// targets.</remarks>
    public static MetricValue RepL(ReadOnlySpan<int> tokens, int window, int start = 0) => NextTokenRepL(tokens, tokens, window, start).Rep;

    /// <summary>Welleck et al.'s token-level rep/ℓ and wrep/ℓ: the fraction of next-token predictions at positions t ≥
    /// <paramref name="start"/> that occur among the ℓ gold tokens before t (rep), and that do so while differing from the
    /// gold token at t (wrep).</summary>
    /// <param name="targets">The gold sequence x.</param>
    /// <param name="predictions">[targets.Length] the model's argmax prediction of x_t given x_&lt;t (teacher-forced).</param>
    /// <param name="window">ℓ ≥ 1.</param>
    /// <param name="start">First scored position; earlier tokens only serve as context.</param>
    /// <remarks>rep/ℓ = (1 / (L − start)) Σ_t 1[ŷ_t ∈ {x_{t−ℓ}, …, x_{t−1}}]; wrep/ℓ adds 1[ŷ_t ≠ x_t]. Welleck et al. (2019),
    /// §6 ("Token-level metrics"), Table 2 (rep and wrep at ℓ = 128); facebookresearch/unlikelihood_training
    /// custom/metrics.py repeat_at_1. TooShort when no position is scored.</remarks>
    /// <exception cref="ArgumentException">Predictions and targets of unequal length.</exception>
    public static (MetricValue Rep, MetricValue WrongRep) NextTokenRepL(
        ReadOnlySpan<int> targets,
        ReadOnlySpan<int> predictions,
        int window,
        int start = 0
    )
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(window);
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        if (predictions.Length != targets.Length)
        {
            throw new ArgumentException($"{predictions.Length} predictions for {targets.Length} targets", nameof(predictions));
        }

        if (start >= targets.Length)
        {
            var failed = MetricValue.Failed(MetricBreakdown.TooShort);
            return (failed, failed);
        }

        int repeats = 0,
            wrong = 0;
        for (var t = start; t < targets.Length; t++)
        {
            if (targets[Math.Max(0, t - window)..t].Contains(predictions[t]))
            {
                repeats++;
                if (predictions[t] != targets[t])
                {
                    wrong++;
                }
            }
        }

        double scored = targets.Length - start;
        return (MetricValue.Of(repeats / scored), MetricValue.Of(wrong / scored));
    }

    /// <summary>Whether the generation ends in a repetition loop by Holtzman et al.'s criterion: for every phrase length
    /// n = 1 … <paramref name="maxPhrase"/>, count how many times the last n tokens occur back to back at the end; take the
    /// n with the most copies (the shortest on a tie); the generation is repeating when that phrase occurs more than once
    /// and is at least 3 tokens long, or occurs more than 50 times.</summary>
    /// <param name="tokens">The generated tokens.</param>
    /// <param name="maxPhrase">Longest phrase looked at (90 in the authors' code).</param>
    /// <remarks>ari-holtzman/degen metrics/repetition.py (max_n = 90; repeated when count &gt; 1 and (length ≥ 3 or count
    /// &gt; 50)); Holtzman et al. (2020), §4 and Table 1 ("Repetition %").</remarks>
    public static bool EndsInHoltzmanLoop(ReadOnlySpan<int> tokens, int maxPhrase = 90)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(maxPhrase);
        int bestLength = 0,
            bestCount = 0;
        for (var n = 1; n <= maxPhrase && n <= tokens.Length; n++)
        {
            var phrase = tokens[^n..];
            var count = 1;
            while ((count + 1) * n <= tokens.Length && tokens[^((count + 1) * n)..^(count * n)].SequenceEqual(phrase))
            {
                count++;
            }

            if (count > bestCount)
            {
                (bestLength, bestCount) = (n, count);
            }
        }

        return bestCount > 1 && (bestLength >= 3 || bestCount > 50);
    }

    /// <summary>Holtzman et al.'s repetition % = 100 × the fraction of generations that <see cref="EndsInHoltzmanLoop"/>;
    /// TooShort for none.</summary>
    /// <remarks>Holtzman et al. (2020), Table 1 (GPT-2 Large, WebText contexts): human 0.28 %, greedy 73.66 %, beam 16
    /// 28.94 %, pure sampling 0.22 %, nucleus p = 0.95 0.36 %.</remarks>
    public static MetricValue HoltzmanRepetitionPercent(IReadOnlyList<int[]> generations, int maxPhrase = 90) =>
        PercentOf(generations, g => EndsInHoltzmanLoop(g, maxPhrase));

    /// <summary>Whether the sequence ends with a phrase of ≥ <paramref name="minPhraseLength"/> tokens repeated ≥ <paramref
    /// name="minRepeats"/> times in a row.</summary>
    /// <remarks>True when for some m ≥ 2 the last 3m tokens are 3 copies of one m-token phrase. This is not Holtzman et al.'s
    /// own criterion (that is <see cref="EndsInHoltzmanLoop"/>, from their code): it misses a repeated single token and a
    /// phrase of ≥ 3 tokens repeated only twice, and it counts a 2-token phrase repeated 3 to 50 times, which theirs
    /// does not.</remarks>
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
    /// <remarks>The simpler criterion of <see cref="EndsInRepetition"/>; Holtzman et al.'s Table 1 figures are by theirs,
    /// <see cref="HoltzmanRepetitionPercent"/>.</remarks>
    public static MetricValue RepetitionPercent(IReadOnlyList<int[]> generations, int minPhraseLength = 2, int minRepeats = 3) =>
        PercentOf(generations, g => EndsInRepetition(g, minPhraseLength, minRepeats));

    /// <summary>100 × the fraction of <paramref name="generations"/> that end in a loop by <paramref name="loops"/>;
    /// TooShort for none.</summary>
    private static MetricValue PercentOf(IReadOnlyList<int[]> generations, Func<int[], bool> loops)
    {
        ArgumentNullException.ThrowIfNull(generations);
        return generations.Count == 0
            ? MetricValue.Failed(MetricBreakdown.TooShort)
            : MetricValue.Of(100.0 * generations.Count(loops) / generations.Count);
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

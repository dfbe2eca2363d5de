// How a perturbed token sequence departs from its reference over time: the Levenshtein distance between the two
// prefixes of every length, the Hamming distance (differing positions so far), and the first step at which they differ.
// Levenshtein (1966), Soviet Physics Doklady 10:707; Wagner, Fischer (1974), J. ACM 21:168 (the dynamic programme);
// Hamming (1950), Bell Syst. Tech. J. 29:147. Unit costs (insertion, deletion, substitution = 1). No defaults.
// Sequences of different lengths (one trajectory stopped early) are compared as they are: a position that only one
// sequence has counts as differing.

namespace TrajectoryLab.Core.Metrics;

/// <summary>Divergence of a perturbed sequence from its reference, per step s = 0..L − 1 (L the longer length).</summary>
/// <param name="EditDistance">D(s) = Levenshtein distance between the prefixes of length s + 1 (each cut at its own length).</param>
/// <param name="NormalisedEditDistance">D(s) / (s + 1), in [0, 1].</param>
/// <param name="Hamming">H(s) = number of positions i ≤ s at which the tokens differ (or only one sequence has a token).</param>
/// <param name="FirstDivergence">The first step at which the tokens differ; null when the sequences are equal.</param>
public sealed record TokenDivergenceResult(int[] EditDistance, double[] NormalisedEditDistance, int[] Hamming, int? FirstDivergence);

/// <summary>Edit and Hamming distances between a reference and a perturbed token sequence, step by step.</summary>
public static class TokenDivergence
{
    /// <summary>All three divergence measures of <paramref name="perturbed"/> from <paramref name="reference"/>.</summary>
    /// <typeparam name="T">Token type (token ids, characters); compared with <see cref="EqualityComparer{T}.Default"/>.</typeparam>
    /// <param name="reference">The reference sequence x_0 … x_{La−1}.</param>
    /// <param name="perturbed">The perturbed sequence x'_0 … x'_{Lb−1}.</param>
    /// <remarks>O(La · Lb) time, O(Lb) memory besides the result arrays.</remarks>
    public static TokenDivergenceResult Compute<T>(ReadOnlySpan<T> reference, ReadOnlySpan<T> perturbed)
    {
        var edit = PrefixEditDistances(reference, perturbed);
        var normalised = new double[edit.Length]; // (L,)
        for (var s = 0; s < edit.Length; s++)
            normalised[s] = (double)edit[s] / (s + 1);
        return new TokenDivergenceResult(
            edit,
            normalised,
            PrefixHammingDistances(reference, perturbed),
            FirstDivergence(reference, perturbed)
        );
    }

    /// <summary>The Levenshtein distance between the prefixes of length s + 1, for every step s = 0..max(La, Lb) − 1.</summary>
    /// <typeparam name="T">Token type.</typeparam>
    /// <param name="reference">The reference sequence (length La).</param>
    /// <param name="perturbed">The perturbed sequence (length Lb).</param>
    /// <returns>D(s) = lev(x[..min(s + 1, La)], x'[..min(s + 1, Lb)]); empty when both sequences are empty.</returns>
    /// <remarks>
    /// One Wagner–Fischer table serves every prefix pair: its entry (i, j) is the distance between the prefixes of lengths
    /// i and j, so D(s) is the diagonal entry (s + 1, s + 1) while both sequences last, then the last row (or column).
    /// The table is filled row by row, keeping two rows: O(La · Lb) time for all L values together.
    /// </remarks>
    public static int[] PrefixEditDistances<T>(ReadOnlySpan<T> reference, ReadOnlySpan<T> perturbed)
    {
        int la = reference.Length,
            lb = perturbed.Length,
            length = Math.Max(la, lb);
        var result = new int[length]; // (L,)
        var comparer = EqualityComparer<T>.Default;
        var previous = new int[lb + 1]; // (Lb + 1,) row i − 1
        var current = new int[lb + 1]; // (Lb + 1,) row i
        for (var j = 0; j <= lb; j++)
            current[j] = j;
        for (var i = 0; ; i++)
        {
            // current holds row i: the distances from x[..i] to every prefix of x'.
            if (i < la)
            {
                if (i >= 1)
                    result[i - 1] = current[Math.Min(i, lb)];
            }
            else
            {
                for (var s = Math.Max(la - 1, 0); s < length; s++)
                    result[s] = current[Math.Min(s + 1, lb)];
                break;
            }

            (previous, current) = (current, previous);
            current[0] = i + 1;
            for (var j = 1; j <= lb; j++)
            {
                var substitution = previous[j - 1] + (comparer.Equals(reference[i], perturbed[j - 1]) ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }
        }

        return result;
    }

    /// <summary>The Levenshtein distance between two whole sequences (unit costs).</summary>
    /// <typeparam name="T">Token type.</typeparam>
    /// <param name="a">First sequence.</param>
    /// <param name="b">Second sequence.</param>
    /// <returns>The minimum number of insertions, deletions and substitutions turning <paramref name="a"/> into <paramref
    /// name="b"/>.</returns>
    /// <remarks>O(|a| · |b|) time, O(|b|) memory.</remarks>
    public static int EditDistance<T>(ReadOnlySpan<T> a, ReadOnlySpan<T> b)
    {
        var comparer = EqualityComparer<T>.Default;
        var previous = new int[b.Length + 1]; // (|b| + 1,)
        var current = new int[b.Length + 1]; // (|b| + 1,)
        for (var j = 0; j <= b.Length; j++)
            current[j] = j;
        for (var i = 0; i < a.Length; i++)
        {
            (previous, current) = (current, previous);
            current[0] = i + 1;
            for (var j = 1; j <= b.Length; j++)
            {
                var substitution = previous[j - 1] + (comparer.Equals(a[i], b[j - 1]) ? 0 : 1);
                current[j] = Math.Min(substitution, Math.Min(previous[j], current[j - 1]) + 1);
            }
        }

        return current[b.Length];
    }

    /// <summary>H(s), the number of differing positions among 0..s, for every step s = 0..max(La, Lb) − 1.</summary>
    /// <typeparam name="T">Token type.</typeparam>
    /// <param name="reference">The reference sequence.</param>
    /// <param name="perturbed">The perturbed sequence.</param>
    /// <returns>A non-decreasing count; a position present in only one sequence counts as differing.</returns>
    public static int[] PrefixHammingDistances<T>(ReadOnlySpan<T> reference, ReadOnlySpan<T> perturbed)
    {
        var comparer = EqualityComparer<T>.Default;
        var result = new int[Math.Max(reference.Length, perturbed.Length)]; // (L,)
        var count = 0;
        for (var s = 0; s < result.Length; s++)
        {
            if (s >= reference.Length || s >= perturbed.Length || !comparer.Equals(reference[s], perturbed[s]))
                count++;
            result[s] = count;
        }

        return result;
    }

    /// <summary>The first step at which the sequences differ: a different token, or a position only one of them has.</summary>
    /// <typeparam name="T">Token type.</typeparam>
    /// <param name="reference">The reference sequence.</param>
    /// <param name="perturbed">The perturbed sequence.</param>
    /// <returns>The index, or null when the sequences are equal (same length, same tokens).</returns>
    public static int? FirstDivergence<T>(ReadOnlySpan<T> reference, ReadOnlySpan<T> perturbed)
    {
        var comparer = EqualityComparer<T>.Default;
        var common = Math.Min(reference.Length, perturbed.Length);
        for (var s = 0; s < common; s++)
            if (!comparer.Equals(reference[s], perturbed[s]))
                return s;
        return reference.Length == perturbed.Length ? null : common;
    }
}

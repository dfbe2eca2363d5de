// Turns a next-symbol probability vector into the integer frequency table an arithmetic coder needs, deterministically:
// f_i = 1 + ⌊p_i · s⌋ with s = (T − V)(1 − 2⁻²⁰)/Σp, the sum taken in double in index order, and the remainder
// T − Σf (≥ 0, < V + 1 + T·2⁻²⁰) added to the first most probable symbol. The same floats give the same table on every
// machine (IEEE double, one fixed order, no parallel sums), which is what lets a decoder rebuild the encoder's tables
// (Delétang et al. 2024, "Language Modeling Is Compression", ICLR, quantise model probabilities the same way).
// Invariants: Σf = T exactly; every f ≥ 1; p_i > p_j ⇒ f_i ≥ f_j (⌊·⌋ is monotone and only a maximum gains the remainder).
using System.Numerics;

namespace TrajectoryLab.Core.Coding;

/// <summary>Deterministic quantisation of probabilities to integer frequencies with a fixed total.</summary>
public static class FrequencyQuantizer
{
    /// <summary>The total used for language-model coding: 2^24. Large enough that the floor of 1 per symbol costs a
    /// vocabulary of 50k ids under 0.3 % of the probability mass (4096 ids: 0.024 %), small enough for the 32-bit coder's
    /// truncation loss (at most log₂(64/63) ≈ 0.023 bit for a symbol of frequency 1, ≈ 2⁻⁶/f·1.44 bits otherwise).</summary>
    public const int DefaultTotal = 1 << 24;

    private const double Shrink = 1 - 1.0 / (1 << 20); // keeps Σ⌊p_i·s⌋ ≤ T − V despite rounding in Σp and in each product

    /// <summary>Quantises float probabilities (a softmax, say) into <paramref name="frequencies"/>.</summary>
    /// <param name="probabilities">p_i ≥ 0, finite, not all 0; need not sum to 1 (they are normalised).</param>
    /// <param name="total">T, with V &lt; T ≤ 2^28.</param>
    /// <param name="frequencies">Receives f, as long as <paramref name="probabilities"/>.</param>
    /// <exception cref="ArgumentException">A negative or non-finite p, all zeros, a length mismatch, or a bad total.</exception>
    public static void Quantize(ReadOnlySpan<float> probabilities, int total, Span<int> frequencies) =>
        QuantizeAny(probabilities, total, frequencies);

    /// <summary>As <see cref="Quantize(ReadOnlySpan{float}, int, Span{int})"/>, for double probabilities.</summary>
    public static void Quantize(ReadOnlySpan<double> probabilities, int total, Span<int> frequencies) =>
        QuantizeAny(probabilities, total, frequencies);

    /// <summary>The one quantiser: every p is widened to double exactly (float → double loses nothing), so a float
    /// vector and the equal double vector give the same frequencies.</summary>
    private static void QuantizeAny<T>(ReadOnlySpan<T> probabilities, int total, Span<int> frequencies)
        where T : unmanaged, INumberBase<T>
    {
        var sum = 0.0;
        for (var i = 0; i < probabilities.Length; i++)
            sum += Checked(double.CreateChecked(probabilities[i]), i);
        var scale = Scale(probabilities.Length, total, sum, frequencies.Length);
        var (best, bestP) = (0, -1.0);
        long used = 0;
        for (var i = 0; i < probabilities.Length; i++)
        {
            var p = double.CreateChecked(probabilities[i]);
            frequencies[i] = 1 + (int)Math.Floor(p * scale);
            used += frequencies[i];
            if (p > bestP)
                (best, bestP) = (i, p);
        }
        frequencies[best] += (int)(total - used);
    }

    /// <summary>A new frequency array for <paramref name="probabilities"/> (see the span overload).</summary>
    public static int[] Quantize(ReadOnlySpan<float> probabilities, int total = DefaultTotal)
    {
        var f = new int[probabilities.Length];
        Quantize(probabilities, total, f);
        return f;
    }

    /// <summary>A new frequency array for <paramref name="probabilities"/> (see the span overload).</summary>
    public static int[] Quantize(ReadOnlySpan<double> probabilities, int total = DefaultTotal)
    {
        var f = new int[probabilities.Length];
        Quantize(probabilities, total, f);
        return f;
    }

    private static double Checked(double p, int i) =>
        double.IsFinite(p) && p >= 0 ? p : throw new ArgumentException($"probability {i} is {p}: must be finite and ≥ 0");

    private static double Scale(int symbols, int total, double sum, int outputLength)
    {
        if (symbols == 0)
            throw new ArgumentException("no probabilities");
        if (outputLength != symbols)
            throw new ArgumentException($"{outputLength} frequencies for {symbols} probabilities");
        if (total > ArithmeticCoder.MaxTotal || total <= symbols)
            throw new ArgumentException($"total {total} must be above the {symbols} symbols and at most 2^28");
        if (!(sum > 0) || !double.IsFinite(sum))
            throw new ArgumentException($"the probabilities sum to {sum}: need a finite positive sum");
        return (total - symbols) * Shrink / sum;
    }
}

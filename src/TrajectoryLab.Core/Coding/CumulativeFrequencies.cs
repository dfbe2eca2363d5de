// A cumulative integer frequency table for the arithmetic coder: symbol s owns [C(s), C(s+1)) of [0, T) with
// C(s) = Σ_{i<s} f_i, and a decoder finds the symbol of a cumulative count by binary search (Witten, Neal & Cleary 1987).
namespace TrajectoryLab.Core.Coding;

/// <summary>Symbol intervals of a frequency table whose every frequency is ≥ 1.</summary>
public sealed class CumulativeFrequencies
{
    private readonly long[] _cumulative; // [V + 1], C(0) = 0, C(V) = T

    /// <summary>The table of <paramref name="frequencies"/> (each ≥ 1, total ≤ 2^28).</summary>
    /// <exception cref="ArgumentException">A frequency below 1, no symbols, or a total above 2^28.</exception>
    public CumulativeFrequencies(ReadOnlySpan<int> frequencies)
    {
        if (frequencies.Length == 0)
            throw new ArgumentException("a frequency table needs at least one symbol", nameof(frequencies));
        _cumulative = new long[frequencies.Length + 1];
        for (var i = 0; i < frequencies.Length; i++)
        {
            if (frequencies[i] < 1)
                throw new ArgumentException($"frequency of symbol {i} is {frequencies[i]}; every symbol needs ≥ 1", nameof(frequencies));
            _cumulative[i + 1] = _cumulative[i] + frequencies[i];
        }
        if (Total > ArithmeticCoder.MaxTotal)
            throw new ArgumentException($"the frequencies sum to {Total}, above 2^28", nameof(frequencies));
    }

    /// <summary>Number of symbols.</summary>
    public int Count => _cumulative.Length - 1;

    /// <summary>T, the sum of the frequencies.</summary>
    public long Total => _cumulative[^1];

    /// <summary>C(s): where symbol <paramref name="symbol"/>'s interval starts.</summary>
    public long Low(int symbol) => _cumulative[symbol];

    /// <summary>C(s + 1): where symbol <paramref name="symbol"/>'s interval ends.</summary>
    public long High(int symbol) => _cumulative[symbol + 1];

    /// <summary>f_s.</summary>
    public long Frequency(int symbol) => _cumulative[symbol + 1] - _cumulative[symbol];

    /// <summary>The symbol s with C(s) ≤ <paramref name="target"/> &lt; C(s + 1).</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="target"/> is outside [0, T).</exception>
    public int Find(long target)
    {
        if (target < 0 || target >= Total)
            throw new ArgumentOutOfRangeException(nameof(target), $"{target} is outside [0, {Total})");
        int lo = 0,
            hi = Count - 1; // the answer is in [lo, hi]
        while (lo < hi)
        {
            var mid = (lo + hi + 1) >> 1;
            if (_cumulative[mid] <= target)
                lo = mid;
            else
                hi = mid - 1;
        }
        return lo;
    }
}

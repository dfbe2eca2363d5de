// The integer arithmetic coder of Witten, Neal & Cleary (1987, "Arithmetic coding for data compression", CACM 30(6),
// 520–540) with 32-bit code values held in 64-bit integers: [low, high] shrinks to a symbol's share of a cumulative
// integer frequency table, and every time the interval falls into a half (or straddles the middle half) one bit is
// settled (or deferred as a "bit to follow") and the interval doubled. Products range·cum ≤ 2^32·2^28 fit in 64 bits.
// Code length: each symbol of frequency f out of T costs −log₂(R'/R) bits with R' > R·f/T − 1 and R > 2^30 before every
// symbol, so the whole message costs at most Σ [−log₂(f/T) − log₂(1 − T/(2^30·f))] + 2 bits (the 2 terminate it) and
// the byte-padded payload at most that + 9 bits (see UpperBoundBits; MacKay 2003, "Information Theory, Inference, and
// Learning Algorithms", ch. 6, for the same argument in real arithmetic).
namespace TrajectoryLab.Core.Coding;

/// <summary>Shared constants of the 32-bit coder.</summary>
public static class ArithmeticCoder
{
    /// <summary>Bits of a code value.</summary>
    public const int CodeBits = 32;

    /// <summary>The largest frequency total a table may have (2^28): below the coder's 2^30 (a quarter of the code range) with
    /// room, so that the worst per-symbol truncation loss −log₂(1 − T/(2^30·f)) stays under 0.42 bit.</summary>
    public const long MaxTotal = 1L << 28;

    internal const ulong Top = (1UL << CodeBits) - 1;
    internal const ulong Half = 1UL << (CodeBits - 1);
    internal const ulong Quarter = 1UL << (CodeBits - 2);
    internal const ulong ThreeQuarters = 3 * Quarter;

    /// <summary>The most bits a byte-padded payload can take for symbols coded with frequency f out of total T each:
    /// Σ [−log₂(f/T) − log₂(1 − T/(2^30·f))] + 2 terminating bits + 7 bits of padding.</summary>
    /// <param name="steps">(f, T) of each coded symbol, T ≤ <see cref="MaxTotal"/>.</param>
    public static double UpperBoundBits(IEnumerable<(long Frequency, long Total)> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var bits = 9.0;
        foreach (var (f, t) in steps)
            bits += -Math.Log2((double)f / t) - Math.Log2(1 - (double)t / ((double)Quarter * f));
        return bits;
    }

    /// <summary>Σ −log₂(f/T): the ideal code length in bits of symbols coded with these frequencies.</summary>
    /// <param name="steps">(f, T) of each coded symbol.</param>
    public static double IdealBits(IEnumerable<(long Frequency, long Total)> steps)
    {
        ArgumentNullException.ThrowIfNull(steps);
        var bits = 0.0;
        foreach (var (f, t) in steps)
            bits += -Math.Log2((double)f / t);
        return bits;
    }

    internal static void CheckInterval(long low, long high, long total)
    {
        if (total < 1 || total > MaxTotal)
            throw new ArgumentOutOfRangeException(nameof(total), $"total must be in [1, 2^28], is {total}");
        if (low < 0 || high <= low || high > total)
            throw new ArgumentOutOfRangeException(nameof(low), $"[{low}, {high}) is not a nonempty interval of [0, {total})");
    }
}

/// <summary>Encodes symbols, each given as its interval [low, high) of a cumulative frequency table of total T, into bits.</summary>
/// <remarks>Usage: <see cref="Encode(long, long, long)"/> per symbol (or <see cref="Encode(CumulativeFrequencies, int)"/>),
/// then <see cref="Finish"/> once. The decoder must see the same tables in the same order.</remarks>
public sealed class ArithmeticEncoder
{
    private readonly List<byte> _bytes = [];
    private ulong _low;
    private ulong _high = ArithmeticCoder.Top;
    private long _follow; // bits to follow: E3 scalings whose bit is not yet known
    private int _current; // bits of the byte being filled, MSB first
    private int _filled; // how many bits of _current are set
    private bool _finished;

    /// <summary>Bits written so far (after <see cref="Finish"/>: the payload's length before byte padding).</summary>
    public long BitCount { get; private set; }

    /// <summary>Encodes the symbol <paramref name="symbol"/> of <paramref name="table"/>.</summary>
    public void Encode(CumulativeFrequencies table, int symbol)
    {
        ArgumentNullException.ThrowIfNull(table);
        Encode(table.Low(symbol), table.High(symbol), table.Total);
    }

    /// <summary>Encodes the symbol whose cumulative interval is [<paramref name="low"/>, <paramref name="high"/>) out of
    /// <paramref name="total"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An empty interval, or a total outside [1, 2^28].</exception>
    /// <exception cref="InvalidOperationException">After <see cref="Finish"/>.</exception>
    public void Encode(long low, long high, long total)
    {
        if (_finished)
            throw new InvalidOperationException("the encoder is finished");
        ArithmeticCoder.CheckInterval(low, high, total);
        var range = _high - _low + 1;
        _high = _low + range * (ulong)high / (ulong)total - 1;
        _low += range * (ulong)low / (ulong)total;
        while (true)
        {
            if (_high < ArithmeticCoder.Half)
                Emit(0);
            else if (_low >= ArithmeticCoder.Half)
            {
                Emit(1);
                _low -= ArithmeticCoder.Half;
                _high -= ArithmeticCoder.Half;
            }
            else if (_low >= ArithmeticCoder.Quarter && _high < ArithmeticCoder.ThreeQuarters)
            {
                _follow++;
                _low -= ArithmeticCoder.Quarter;
                _high -= ArithmeticCoder.Quarter;
            }
            else
                break;
            _low <<= 1;
            _high = (_high << 1) | 1;
        }
    }

    /// <summary>Writes the two terminating bits (and any bits to follow) and pads the last byte with zeros.</summary>
    /// <returns>The payload.</returns>
    public byte[] Finish()
    {
        if (!_finished)
        {
            _follow++;
            Emit(_low < ArithmeticCoder.Quarter ? 0 : 1);
            if (_filled > 0)
                _bytes.Add((byte)(_current << (8 - _filled)));
            _finished = true;
        }
        return [.. _bytes];
    }

    private void Emit(int bit)
    {
        Put(bit);
        for (; _follow > 0; _follow--)
            Put(1 - bit);
    }

    private void Put(int bit)
    {
        _current = (_current << 1) | bit;
        BitCount++;
        if (++_filled == 8)
        {
            _bytes.Add((byte)_current);
            (_current, _filled) = (0, 0);
        }
    }
}

/// <summary>Decodes what <see cref="ArithmeticEncoder"/> wrote, given the same tables in the same order.</summary>
/// <remarks>Bits past the payload's end read as 0 (the encoder's termination makes them irrelevant). A corrupted payload
/// decodes to some symbols without failing: check a checksum first.</remarks>
public sealed class ArithmeticDecoder
{
    private readonly byte[] _payload;
    private long _position; // next bit to read
    private ulong _low;
    private ulong _high = ArithmeticCoder.Top;
    private ulong _value;

    /// <summary>Starts decoding <paramref name="payload"/>.</summary>
    public ArithmeticDecoder(byte[] payload)
    {
        _payload = payload ?? throw new ArgumentNullException(nameof(payload));
        for (var i = 0; i < ArithmeticCoder.CodeBits; i++)
            _value = (_value << 1) | NextBit();
    }

    /// <summary>Decodes one symbol of <paramref name="table"/>.</summary>
    public int Decode(CumulativeFrequencies table)
    {
        ArgumentNullException.ThrowIfNull(table);
        var symbol = table.Find(Target(table.Total));
        Consume(table.Low(symbol), table.High(symbol), table.Total);
        return symbol;
    }

    /// <summary>The cumulative count in [0, <paramref name="total"/>) the next symbol's interval holds; then call
    /// <see cref="Consume"/> with that symbol's interval.</summary>
    public long Target(long total)
    {
        if (total < 1 || total > ArithmeticCoder.MaxTotal)
            throw new ArgumentOutOfRangeException(nameof(total), $"total must be in [1, 2^28], is {total}");
        var range = _high - _low + 1;
        var target = (long)(((_value - _low + 1) * (ulong)total - 1) / range);
        return Math.Clamp(target, 0, total - 1); // only a corrupted payload puts the value outside [low, high]
    }

    /// <summary>Removes the symbol with interval [<paramref name="low"/>, <paramref name="high"/>) of <paramref name="total"/>.</summary>
    public void Consume(long low, long high, long total)
    {
        ArithmeticCoder.CheckInterval(low, high, total);
        var range = _high - _low + 1;
        _high = _low + range * (ulong)high / (ulong)total - 1;
        _low += range * (ulong)low / (ulong)total;
        while (true)
        {
            if (_high < ArithmeticCoder.Half) { }
            else if (_low >= ArithmeticCoder.Half)
            {
                _value -= ArithmeticCoder.Half;
                _low -= ArithmeticCoder.Half;
                _high -= ArithmeticCoder.Half;
            }
            else if (_low >= ArithmeticCoder.Quarter && _high < ArithmeticCoder.ThreeQuarters)
            {
                _value -= ArithmeticCoder.Quarter;
                _low -= ArithmeticCoder.Quarter;
                _high -= ArithmeticCoder.Quarter;
            }
            else
                break;
            _low <<= 1;
            _high = (_high << 1) | 1;
            _value = ((_value << 1) | NextBit()) & ArithmeticCoder.Top;
        }
    }

    private ulong NextBit()
    {
        var p = _position++;
        return p >> 3 < _payload.Length ? (ulong)((_payload[p >> 3] >> (7 - (int)(p & 7))) & 1) : 0UL;
    }
}

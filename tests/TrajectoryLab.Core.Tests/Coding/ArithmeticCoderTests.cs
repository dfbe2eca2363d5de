// Round trips, code-length bounds and analytic costs of the arithmetic coder (Witten, Neal & Cleary 1987, CACM 30(6)),
// and the invariants of FrequencyQuantizer; FsCheck draws symbol sequences under per-step varying frequency tables.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Core.Coding;

namespace TrajectoryLab.Core.Tests.Coding;

public class ArithmeticCoderTests
{
    /// <summary>A coding problem: per step a frequency table and the symbol coded under it.</summary>
    public sealed record Message(int[][] Tables, int[] Symbols)
    {
        public override string ToString() =>
            $"{Symbols.Length} symbols, tables of {string.Join(",", Tables.Select(t => t.Length).Distinct())} symbols";
    }

    /// <summary>1–300 steps, each with its own table of 1–40 symbols (frequencies 1 … 2^k, k up to 20, some skewed) and
    /// a symbol drawn uniformly (so improbable symbols are coded too).</summary>
    private static readonly Gen<Message> Messages =
        from steps in Gen.Choose(1, 300)
        from seed in Gen.Choose(0, int.MaxValue)
        select Build(steps, seed);

    private static Message Build(int steps, int seed)
    {
        var random = new Random(seed);
        var tables = new int[steps][];
        var symbols = new int[steps];
        for (var s = 0; s < steps; s++)
        {
            var v = random.Next(1, 41);
            var cap = 1 << random.Next(0, 21);
            tables[s] = [.. Enumerable.Range(0, v).Select(_ => random.Next(1, cap + 1))];
            if (random.Next(4) == 0)
                tables[s][random.Next(v)] = 1 << 27 >> 6; // one dominant symbol
            symbols[s] = random.Next(v);
        }
        return new Message(tables, symbols);
    }

    private static (byte[] Payload, long Bits) Encode(Message m)
    {
        var encoder = new ArithmeticEncoder();
        for (var s = 0; s < m.Symbols.Length; s++)
            encoder.Encode(new CumulativeFrequencies(m.Tables[s]), m.Symbols[s]);
        var payload = encoder.Finish();
        return (payload, encoder.BitCount);
    }

    private static IEnumerable<(long, long)> Steps(Message m) =>
        m.Symbols.Select((symbol, s) => ((long)m.Tables[s][symbol], m.Tables[s].Sum(f => (long)f)));

    [Property(MaxTest = 300)]
    public Property Random_sequences_under_varying_tables_round_trip() => Prop.ForAll(Messages.ToArbitrary(), m =>
        {
            var (payload, _) = Encode(m);
            var decoder = new ArithmeticDecoder(payload);
            return m.Symbols.Select((symbol, s) => decoder.Decode(new CumulativeFrequencies(m.Tables[s])) == symbol).All(ok => ok);
        });

    [Property(MaxTest = 300)]
    public Property Payload_is_within_the_proven_bound_of_the_ideal_length() => Prop.ForAll(Messages.ToArbitrary(), m =>
        {
            var (payload, bits) = Encode(m);
            var steps = Steps(m).ToList();
            var ideal = ArithmeticCoder.IdealBits(steps);
            var bound = ArithmeticCoder.UpperBoundBits(steps);
            // Bound: Σ −log₂(f/T) + Σ −log₂(1 − T/(2^30 f)) + 2 + 7 padding (see ArithmeticCoder); padding only pads.
            return payload.Length == (bits + 7) / 8 && 8.0 * payload.Length <= bound + 1e-9 && bound >= ideal;
        });

    [Theory]
    [InlineData(1, 1000)]
    [InlineData(4, 1000)]
    [InlineData(8, 4000)]
    [InlineData(16, 500)]
    public void Uniform_table_over_2_to_the_k_symbols_costs_k_bits_each(int k, int count)
    {
        var table = new CumulativeFrequencies(Enumerable.Repeat(1, 1 << k).ToArray()); // T = 2^k, each f = 1
        var random = new Random(k);
        var symbols = Enumerable.Range(0, count).Select(_ => random.Next(1 << k)).ToArray();
        var encoder = new ArithmeticEncoder();
        foreach (var s in symbols)
            encoder.Encode(table, s);
        var payload = encoder.Finish();

        // With T a power of two every interval split is exact (R·f/T has no remainder when R is a multiple of T, which the
        // coder's doublings keep it), so the cost is k bits a symbol plus the 2 terminating bits; padding adds < 8.
        Assert.Equal(k * (long)count + 2, encoder.BitCount);
        Assert.Equal((k * (long)count + 2 + 7) / 8, payload.Length);
        var decoder = new ArithmeticDecoder(payload);
        Assert.All(symbols, s => Assert.Equal(s, decoder.Decode(table)));
    }

    [Fact]
    public void A_certain_symbol_costs_almost_nothing()
    {
        // f = T − 1 out of T = 2^24: −log₂ f/T ≈ 8.6e-8 bit per symbol; a million of them take a handful of bits.
        var table = new CumulativeFrequencies([FrequencyQuantizer.DefaultTotal - 1, 1]);
        var encoder = new ArithmeticEncoder();
        for (var i = 0; i < 1_000_000; i++)
            encoder.Encode(table, 0);
        encoder.Finish();
        Assert.InRange(encoder.BitCount, 2, 2 + 1_000_000 * 8.6e-8 + 2);
    }

    [Fact]
    public void Empty_message_is_two_bits()
    {
        var encoder = new ArithmeticEncoder();
        Assert.Single(encoder.Finish());
        Assert.Equal(2, encoder.BitCount);
    }

    [Fact]
    public void Bad_intervals_and_tables_are_refused()
    {
        var encoder = new ArithmeticEncoder();
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode(3, 3, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode(0, 11, 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => encoder.Encode(0, 1, (1L << 28) + 1));
        Assert.Throws<ArgumentException>(() => new CumulativeFrequencies([1, 0, 2]));
        Assert.Throws<ArgumentException>(() => new CumulativeFrequencies(ReadOnlySpan<int>.Empty));
    }

    private static readonly Gen<float[]> Probabilities =
        from n in Gen.Choose(1, 5000)
        from seed in Gen.Choose(0, int.MaxValue)
        from spiky in Gen.Elements(false, true)
        select Draw(n, seed, spiky);

    private static float[] Draw(int n, int seed, bool spiky)
    {
        var random = new Random(seed);
        var p = new float[n];
        for (var i = 0; i < n; i++)
            p[i] = spiky ? MathF.Exp(-30f * (float)random.NextDouble()) : (float)random.NextDouble();
        if (random.Next(3) == 0)
            p[random.Next(n)] = 0; // zeros get frequency 1
        if (random.Next(3) == 0 && n > 1)
            p[random.Next(n)] = p[random.Next(n)]; // ties
        if (p.All(x => x == 0))
            p[0] = 1;
        return p;
    }

    [Property(MaxTest = 200)]
    public Property Quantised_frequencies_sum_to_the_total_are_positive_and_monotone() => Prop.ForAll(Probabilities.ToArbitrary(), p =>
        {
            var f = FrequencyQuantizer.Quantize(p);
            var order = Enumerable.Range(0, p.Length).OrderBy(i => p[i]).ToArray();
            var monotone = true;
            for (var k = 1; k < order.Length; k++)
                monotone &= p[order[k]] == p[order[k - 1]] || f[order[k]] >= f[order[k - 1]];
            return f.Sum(x => (long)x) == FrequencyQuantizer.DefaultTotal && f.All(x => x >= 1) && monotone;
        });

    [Property(MaxTest = 100)]
    public Property Quantised_frequencies_are_close_to_p_times_T() => Prop.ForAll(Probabilities.ToArbitrary(), p =>
        {
            // f_i − T·p_i/Σp ∈ [−1 − T·p·2⁻²⁰ − …, 1] for all but the maximum, which absorbs a remainder < V + 1 + T·2⁻²⁰.
            var f = FrequencyQuantizer.Quantize(p);
            var sum = p.Sum(x => (double)x);
            const double T = FrequencyQuantizer.DefaultTotal;
            var max = Array.IndexOf(f, f.Max());
            return Enumerable
                .Range(0, p.Length)
                .Where(i => i != max)
                .All(i => Math.Abs(f[i] - T * p[i] / sum) <= 1 + p.Length * p[i] / sum + T * p[i] / sum * 2e-6);
        });

    [Fact]
    public void Quantiser_is_bit_identical_for_float_and_equal_double_input()
    {
        var p = Draw(4096, 7, true);
        Assert.Equal(FrequencyQuantizer.Quantize(p), FrequencyQuantizer.Quantize(p.Select(x => (double)x).ToArray()));
        Assert.Equal(FrequencyQuantizer.Quantize(p), FrequencyQuantizer.Quantize(p));
    }

    [Fact]
    public void Quantiser_refuses_bad_input()
    {
        Assert.Throws<ArgumentException>(() => FrequencyQuantizer.Quantize(new float[] { 0.5f, float.NaN }));
        Assert.Throws<ArgumentException>(() => FrequencyQuantizer.Quantize(new float[] { 0.5f, -0.1f }));
        Assert.Throws<ArgumentException>(() => FrequencyQuantizer.Quantize(new float[] { 0, 0 }));
        Assert.Throws<ArgumentException>(() => FrequencyQuantizer.Quantize(new float[] { 1, 1, 1 }, 3));
    }
}

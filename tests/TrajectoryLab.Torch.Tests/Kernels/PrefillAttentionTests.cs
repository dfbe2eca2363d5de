// The multi-position causal attention kernel against a double-precision reference on random shapes (FsCheck): any batch,
// any number of key–value heads and of query heads per key–value head, any d_head (one and two 32-feature slices, with
// and without a 16-feature slice and a rest of single features, as the golden checkpoints' 6, 8 and 12), any number of new positions (whole and partial six-query
// tiles, a pass of one, rows of several 32-key score blocks), any cached prefix before them (query i sees keys 0 … prefix + i, or with a sliding window of W, drawn half the time, the last W of them), any thread count. Queries are
// read in the model's layout (a transposed view of the projection: heads interleaved in each row), keys and values from
// a cache with spare slots, so every stride differs from the dense one. The output must agree with
// softmax(q·Kᵀ·scale + causal mask)·V within 2e-6 (|v| ≤ 1), and the same call must give the same bits on every thread
// count and with the keys packed one (row, key–value head) at a time, and with the 512-bit blocks and the AVX2 halves
// alike (both run on any machine). A NaN key makes exactly the queries that see it NaN.
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Kernels;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed unsafe class PrefillAttentionTests
{
    private static readonly int[] HeadDims = [6, 8, 12, 16, 24, 32, 48, 64, 80, 128];

    [Property(MaxTest = 60)]
    public void MatchesTheDoubleReference(int seed)
    {
        // The shape is drawn from the seed (FsCheck's own small early values would keep to the smallest shapes).
        var random = new Random(seed);
        var shape = Shape.Random(random);
        var pass = Pass.Random(random, shape);
        var output = pass.Run(shape, random.Next(1, 4));
        for (int b = 0; b < shape.Batch; b++)
        for (int h = 0; h < shape.Heads; h++)
        for (int i = 0; i < shape.Positions; i++)
        {
            int g = h / (shape.Heads / shape.KvHeads),
                seen = shape.Prefix + i + 1,
                lo = shape.Window > 0 ? Math.Max(0, seen - shape.Window) : 0; // the oldest key a windowed query sees
            var scores = new double[seen];
            for (int j = 0; j < seen; j++)
            {
                double dot = 0;
                for (int c = 0; c < shape.HeadDim; c++)
                    dot += (double)pass.Query(shape, b, h, i, c) * pass.Key(shape, b, g, j, c);
                scores[j] = j < lo ? double.NegativeInfinity : dot * shape.Scale;
            }
            var max = scores.Max();
            var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
            var total = weights.Sum();
            for (int c = 0; c < shape.HeadDim; c++)
            {
                double exact = 0;
                for (int j = 0; j < seen; j++)
                    exact += weights[j] / total * pass.Value(shape, b, g, j, c);
                var got = output[((b * shape.Positions + i) * shape.Heads + h) * shape.HeadDim + c];
                Assert.True(Math.Abs(got - exact) <= 2e-6, $"{shape}: out[{b},{i},{h},{c}] = {got}, exact {exact}");
            }
        }
    }

    [Property(MaxTest = 20)]
    public void GivesTheSameBitsOnEveryThreadCount(int seed)
    {
        var shape = Shape.Random(new Random(seed)) with { Batch = 2 };
        var outputs = new[] { 1, 2, 5 }.Select(threads => Pass.Random(new Random(seed), shape).Run(shape, threads)).ToList();
        Assert.Equal(outputs[0], outputs[1]);
        Assert.Equal(outputs[0], outputs[2]);
        // The (row, key–value head) pairs packed one group at a time (the memory cap of a long, wide pass) change nothing
        Assert.Equal(outputs[0], Pass.Random(new Random(seed), shape).Run(shape, 2, packedFloats: 1));
        // The 512-bit blocks and the two 256-bit halves of an AVX2 CPU: the same chains, the same bits
        Assert.Equal(
            Pass.Random(new Random(seed), shape).Run(shape, 2, wide: true),
            Pass.Random(new Random(seed), shape).Run(shape, 2, wide: false)
        );
    }

    [Theory]
    [InlineData(0, 16)]
    [InlineData(5, 16)]
    [InlineData(17, 48)]
    [InlineData(40, 64)]
    public void ANaNKeyMakesEveryQueryThatSeesItNaNAndNoOther(int poisoned, int headDim)
    {
        // No silent NaN: a query whose keys include a NaN gets NaN in every feature (its softmax max is NaN), and the
        // queries before that key are untouched. Three cached keys precede 50 new positions (so rows of several score
        // blocks and partial last vectors).
        var shape = new Shape(1, 1, 2, headDim, 50, 3, (float)(1 / Math.Sqrt(headDim)));
        var pass = Pass.Random(new Random(poisoned), shape);
        pass.Keys[poisoned * headDim + 1] = float.NaN; // key `poisoned` of the only key–value head
        var output = pass.Run(shape, 2);
        for (int i = 0; i < shape.Positions; i++)
        for (int h = 0; h < shape.Heads; h++)
        for (int c = 0; c < headDim; c++)
        {
            var got = output[(i * shape.Heads + h) * headDim + c];
            if (shape.Prefix + i >= poisoned)
                Assert.True(float.IsNaN(got), $"query {i} sees key {poisoned}: out[{i},{h},{c}] = {got}");
            else
                Assert.True(float.IsFinite(got), $"query {i} does not see key {poisoned}: out[{i},{h},{c}] = {got}");
        }
    }

    [Fact]
    public void RefusesAShapeItDoesNotTake()
    {
        var shape = new Shape(1, 2, 3, 16, 4, 0, 0.25f); // 3 query heads cannot share 2 key–value heads
        Assert.Throws<ArgumentException>(() => Pass.Random(new Random(1), shape).Run(shape, 1));
    }

    /// <summary>One call's sizes: <paramref name="Prefix"/> cached keys before the <paramref name="Positions"/> new ones.</summary>
    private sealed record Shape(int Batch, int KvHeads, int Heads, int HeadDim, int Positions, int Prefix, float Scale, int Window = 0)
    {
        public int Keys => Prefix + Positions;

        public int Capacity => Keys + 3; // spare cache slots: the key and value strides are not the dense ones

        public static Shape Random(Random random)
        {
            int kvHeads = random.Next(1, 4),
                headDim = HeadDims[random.Next(HeadDims.Length)],
                batch = random.Next(1, 3),
                heads = kvHeads * random.Next(1, 4),
                positions = random.Next(4) == 0 ? random.Next(21, 90) : random.Next(1, 21), // rows of several score blocks, too
                prefix = random.Next(3) == 0 ? 0 : random.Next(0, 9),
                window = random.Next(2) == 0 ? 0 : random.Next(1, prefix + positions + 1); // a sliding window, half the time
            return new Shape(batch, kvHeads, heads, headDim, positions, prefix, (float)(1 / Math.Sqrt(headDim)), window);
        }
    }

    /// <summary>The kernel's inputs: queries [batch, positions, heads, d_head] (read as [batch, heads, positions, d_head]),
    /// keys and values [batch, kv_heads, capacity, d_head], all uniform in [-1, 1].</summary>
    private sealed record Pass(float[] Queries, float[] Keys, float[] Values)
    {
        public static Pass Random(Random random, Shape s)
        {
            float[] Fill(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            long cache = (long)s.Batch * s.KvHeads * s.Capacity * s.HeadDim;
            return new Pass(Fill((long)s.Batch * s.Positions * s.Heads * s.HeadDim), Fill(cache), Fill(cache));
        }

        public float Query(Shape s, int b, int h, int i, int c) => Queries[((b * s.Positions + i) * s.Heads + h) * s.HeadDim + c];

        public float Key(Shape s, int b, int g, int j, int c) => Keys[((b * s.KvHeads + g) * s.Capacity + j) * s.HeadDim + c];

        public float Value(Shape s, int b, int g, int j, int c) => Values[((b * s.KvHeads + g) * s.Capacity + j) * s.HeadDim + c];

        public float[] Run(Shape s, int threads, long packedFloats = 4 << 20, bool? wide = null)
        {
            var output = new float[s.Batch * s.Positions * s.Heads * s.HeadDim];
            fixed (
                float* q = Queries,
                    k = Keys,
                    v = Values,
                    result = output
            )
            {
                long cacheHead = (long)s.Capacity * s.HeadDim;
                PrefillAttention.Run(
                    new HeadRows((nint)q, (long)s.Positions * s.Heads * s.HeadDim, s.HeadDim, (long)s.Heads * s.HeadDim),
                    new HeadRows((nint)k, s.KvHeads * cacheHead, cacheHead, s.HeadDim),
                    new HeadRows((nint)v, s.KvHeads * cacheHead, cacheHead, s.HeadDim),
                    result,
                    s.Batch,
                    s.Heads,
                    s.KvHeads,
                    s.HeadDim,
                    s.Positions,
                    s.Keys,
                    s.Scale,
                    threads,
                    packedFloats,
                    s.Window,
                    wide
                );
            }
            return output;
        }
    }
}

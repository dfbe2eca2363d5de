// The decoding-attention kernel against a double-precision reference on random shapes (FsCheck): any batch, any number of
// key–value heads and of query heads per key–value head, any d_head (multiples of 16 take the register form, the others
// the library form), rotation of all, half or none of a head's features, any cache position (the four-slot score blocks
// and their leftovers), any first slot (a sliding window's), with or without a soft cap, any thread count. The cache must
// hold the new key rotated as libtorch rounds it (x·cos + swapped·sin, no fused multiply-add) and the new value
// unchanged, and the output must agree with softmax(q·Kᵀ·scale)·V to float32 rounding; the same call must give the same
// bits on every thread count.
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Kernels;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed unsafe class DecodeAttentionTests
{
    private static readonly int[] HeadDims = [8, 16, 24, 32, 48, 64, 80];

    [Property(MaxTest = 80)]
    public void MatchesTheDoubleReference(int seed)
    {
        // The shape is drawn from the seed (FsCheck's own small early values would keep to the smallest shapes).
        var random = new Random(seed);
        int batch = random.Next(1, 4),
            kvHeads = random.Next(1, 4),
            group = random.Next(1, 4),
            heads = kvHeads * group,
            headDim = HeadDims[random.Next(HeadDims.Length)],
            rotated = random.Next(3) switch
            {
                0 => 0,
                1 => headDim,
                _ => headDim / 2 / 2 * 2, // an even part of the head, as GPT-NeoX's rotary_pct
            },
            capacity = 40,
            position = random.Next(capacity),
            threads = random.Next(1, 4),
            first = random.Next(2) == 0 ? 0 : random.Next(position + 1); // a sliding window's first slot, half the time
        float softcap = random.Next(2) == 0 ? 0 : (float)(0.5 + 4 * random.NextDouble()); // Gemma 2's soft cap, half the time
        var pass = Pass.Random(random, batch, heads, kvHeads, headDim, rotated, capacity);
        var expectedCache = pass.Keys.ToArray();
        var expectedValues = pass.Values.ToArray();
        var scale = (float)(1 / Math.Sqrt(headDim));
        var output = pass.Run(batch, heads, kvHeads, headDim, rotated, capacity, position, scale, threads, first, softcap);

        int width = (heads + 2 * kvHeads) * headDim;
        for (int b = 0; b < batch; b++)
        {
            var row = pass.Projected.AsSpan(b * width, width);
            for (int g = 0; g < kvHeads; g++)
            {
                long slot = ((long)b * kvHeads + g) * capacity + position;
                var key = Rotate(row.Slice((heads + g) * headDim, headDim), rotated, pass.Cos, pass.Sin);
                key.CopyTo(expectedCache.AsSpan((int)(slot * headDim), headDim));
                row.Slice((heads + kvHeads + g) * headDim, headDim).CopyTo(expectedValues.AsSpan((int)(slot * headDim), headDim));
            }
        }
        Assert.Equal(expectedCache, pass.Keys); // the rotation rounds as libtorch's, bit for bit
        Assert.Equal(expectedValues, pass.Values);

        for (int b = 0; b < batch; b++)
        for (int h = 0; h < heads; h++)
        {
            var query = Rotate(pass.Projected.AsSpan(b * width + h * headDim, headDim), rotated, pass.Cos, pass.Sin);
            long head = ((long)b * kvHeads + h / group) * capacity * headDim;
            var scores = new double[position + 1 - first];
            for (int t = first; t <= position; t++)
            {
                double dot = 0;
                for (int i = 0; i < headDim; i++)
                    dot += (double)query[i] * expectedCache[head + t * headDim + i];
                scores[t - first] = softcap > 0 ? softcap * Math.Tanh(dot * scale / softcap) : dot * scale;
            }
            var max = scores.Max();
            var weights = scores.Select(s => Math.Exp(s - max)).ToArray();
            var total = weights.Sum();
            for (int i = 0; i < headDim; i++)
            {
                double exact = 0;
                for (int t = first; t <= position; t++)
                    exact += weights[t - first] / total * expectedValues[head + t * headDim + i];
                var got = output[(b * heads + h) * headDim + i];
                Assert.True(
                    Math.Abs(got - exact) <= 2e-6,
                    $"batch {batch} kv {kvHeads} group {group} d_head {headDim} rotated {rotated} slots {first} … {position} cap {softcap}: "
                        + $"out[{b},{h},{i}] = {got}, exact {exact}"
                );
            }
        }
    }

    [Property(MaxTest = 30)]
    public void GivesTheSameBitsOnEveryThreadCount(int seed)
    {
        var random = new Random(seed);
        int kvHeads = random.Next(1, 4),
            heads = kvHeads * random.Next(1, 3),
            headDim = HeadDims[random.Next(HeadDims.Length)],
            batch = 4,
            capacity = 64,
            position = random.Next(capacity);
        var outputs = new List<float[]>();
        foreach (var threads in new[] { 1, 2, 5 })
        {
            var pass = Pass.Random(new Random(seed), batch, heads, kvHeads, headDim, headDim, capacity);
            outputs.Add(pass.Run(batch, heads, kvHeads, headDim, headDim, capacity, position, 0.125f, threads));
        }
        Assert.Equal(outputs[0], outputs[1]);
        Assert.Equal(outputs[0], outputs[2]);
    }

    /// <summary>out = x·cos + swapped(x)·sin over the first R features, each product rounded to float32 before the sum.</summary>
    private static float[] Rotate(ReadOnlySpan<float> x, int rotated, float[] cos, float[] sin)
    {
        var result = x.ToArray();
        int half = rotated / 2;
        for (int i = 0; i < rotated; i++)
        {
            float product = x[i] * cos[i],
                swapped = (i < half ? x[i + half] : x[i - half]) * sin[i];
            result[i] = product + swapped;
        }
        return result;
    }

    /// <summary>The kernel's inputs: the new position's q | k | v per row, a cache of random keys and values (the slots
    /// before the position), and a rotary table of one position.</summary>
    private sealed record Pass(float[] Projected, float[] Keys, float[] Values, float[] Cos, float[] Sin)
    {
        public static Pass Random(Random random, int batch, int heads, int kvHeads, int headDim, int rotated, int capacity)
        {
            float[] Fill(long n) => Enumerable.Range(0, (int)n).Select(_ => (float)(random.NextDouble() * 2 - 1)).ToArray();
            var angles = Enumerable.Range(0, Math.Max(rotated / 2, 1)).Select(i => 0.7 + 0.3 * i).ToArray();
            var cos = Enumerable.Range(0, rotated).Select(i => (float)Math.Cos(angles[i % Math.Max(rotated / 2, 1)])).ToArray();
            var sin = Enumerable
                .Range(0, rotated)
                .Select(i => (float)((i < rotated / 2 ? -1 : 1) * Math.Sin(angles[i % Math.Max(rotated / 2, 1)])))
                .ToArray();
            long cache = (long)batch * kvHeads * capacity * headDim;
            return new Pass(Fill((long)batch * (heads + 2 * kvHeads) * headDim), Fill(cache), Fill(cache), cos, sin);
        }

        public float[] Run(
            int batch,
            int heads,
            int kvHeads,
            int headDim,
            int rotated,
            int capacity,
            int position,
            float scale,
            int threads,
            long first = 0,
            float softcap = 0
        )
        {
            var output = new float[batch * heads * headDim];
            fixed (
                float* projected = Projected,
                    keys = Keys,
                    values = Values,
                    cos = Cos,
                    sin = Sin,
                    result = output
            )
                DecodeAttention.Run(
                    new DecodeAttentionPass(
                        (nint)projected,
                        (nint)keys,
                        (nint)values,
                        rotated == 0 ? 0 : (nint)cos,
                        rotated == 0 ? 0 : (nint)sin,
                        (nint)result
                    ),
                    batch,
                    heads,
                    kvHeads,
                    headDim,
                    rotated,
                    capacity,
                    position,
                    scale,
                    threads,
                    first,
                    softcap
                );
            return output;
        }
    }
}

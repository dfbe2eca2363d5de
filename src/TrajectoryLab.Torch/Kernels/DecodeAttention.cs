// Attention of one new position per row over a full key–value cache, the decoding step's attention in one C# pass over
// memory: rotate the new query and key (Hugging Face's half-split rotary, the first R features of a head), write the new
// key and value into the cache at slot StartPos, then for every query head softmax(q·K/scale)·V over slots 0 … StartPos
// of its key–value head (grouped-query attention: query head h reads key–value head h / (heads / kv_heads)). It replaces
// about two dozen libtorch calls per layer (views, the rotation, index_copy_, SDPA). The rotation rounds as libtorch's
// x·cos + swapped·sin does (two products, one sum, no fused multiply-add), so the cache holds the same bits; the scores,
// softmax and weighted sum round in their own order (within float32 rounding of SDPA's).
// References: Vaswani et al. (2017) (scaled dot-product attention); Su et al. (2021), arXiv:2104.09864 (rotary);
// Ainslie et al. (2023), arXiv:2305.13245 (grouped-query); Milakov & Gimelshein (2018), arXiv:1805.02867 (the max-shifted
// softmax).
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>The shapes and addresses of one decoding step's attention in one layer.</summary>
/// <param name="Projected">[batch, (heads + 2·kv_heads)·d_head]: q | k | v of the new position, row after row.</param>
/// <param name="Keys">[batch, kv_heads, capacity, d_head], contiguous: the layer's key cache.</param>
/// <param name="Values">Shaped as <paramref name="Keys"/>.</param>
/// <param name="Cos">[R] rotary cosines of the new position (R = rotated features), or null without rotation.</param>
/// <param name="Sin">[R] the signed sines that go with <paramref name="Cos"/>.</param>
/// <param name="Output">[batch, heads·d_head]: the attention of every query head, row after row.</param>
/// <remarks>Addresses as nint: a record cannot hold pointers, and the workers' lambda captures the pass.</remarks>
internal readonly record struct DecodeAttentionPass(nint Projected, nint Keys, nint Values, nint Cos, nint Sin, nint Output);

/// <summary>One decoding step's attention (see the file header).</summary>
internal static unsafe class DecodeAttention
{
    private const int Lanes = 16; // floats in a 512-bit vector

    [ThreadStatic]
    private static float[]? _scores; // each thread's scores of one (row, head)

    [ThreadStatic]
    private static long _calls;

    /// <summary>Calls made so far from this thread (lets a test see that the kernel, not the general path, ran).</summary>
    public static long Calls => _calls;

    /// <summary>Rotates and stores the new keys and values, then attends.</summary>
    /// <param name="pass">The addresses.</param>
    /// <param name="batch">Rows.</param>
    /// <param name="heads">Query heads.</param>
    /// <param name="kvHeads">Key–value heads (divides <paramref name="heads"/>).</param>
    /// <param name="headDim">d_head.</param>
    /// <param name="rotated">R, the features rotated (even, ≤ d_head); 0 without rotation.</param>
    /// <param name="capacity">Slots of the cache.</param>
    /// <param name="position">The new position's slot (StartPos); slots <paramref name="first"/> … position are attended.</param>
    /// <param name="scale">The score scale (1/√d_head unless the design sets one).</param>
    /// <param name="threads">Threads sharing the (row, head) pairs.</param>
    /// <param name="first">The oldest slot attended: 0 for every key, position − W + 1 for a sliding window of W.</param>
    /// <param name="softcap">c of Gemma 2's soft cap, scores ← c·tanh(scores / c) before the softmax; 0 for none.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="first"/> is negative or after
    /// <paramref name="position"/>.</exception>
    public static void Run(
        DecodeAttentionPass pass,
        int batch,
        int heads,
        int kvHeads,
        int headDim,
        int rotated,
        long capacity,
        long position,
        float scale,
        int threads,
        long first = 0,
        float softcap = 0
    )
    {
        if (first < 0 || first > position)
            throw new ArgumentOutOfRangeException(nameof(first), $"first slot {first} must be in 0 … {position}");
        _calls++;
        int width = (heads + 2 * kvHeads) * headDim;
        // 1. The new keys (rotated) and values go into the cache; the queries are rotated where the attention reads them.
        for (int b = 0; b < batch; b++)
        {
            var row = (float*)pass.Projected + (long)b * width;
            for (int g = 0; g < kvHeads; g++)
            {
                long slot = ((long)b * kvHeads + g) * capacity + position;
                Rotate(
                    row + (heads + g) * headDim,
                    (float*)pass.Keys + slot * headDim,
                    headDim,
                    rotated,
                    (float*)pass.Cos,
                    (float*)pass.Sin
                );
                new ReadOnlySpan<float>(row + (heads + kvHeads + g) * headDim, headDim).CopyTo(
                    new Span<float>((float*)pass.Values + slot * headDim, headDim)
                );
            }
        }
        // 2. Each (row, query head) attends over slots first … position of its key–value head.
        int pairs = batch * heads,
            group = heads / kvHeads,
            parts = Math.Clamp(Math.Min(threads, pairs), 1, KernelWorkers.MaxParts);
        long keys = position + 1 - first;
        int next = -1; // the (row, head) pairs go to whichever thread is free, one at a time
        KernelWorkers.Run(parts, _ =>
        {
            var query = stackalloc float[headDim];
            var scores = _scores is { } held && held.LongLength >= keys ? held : _scores = new float[Math.Max(keys, 256)];
            for (int pair; (pair = Interlocked.Increment(ref next)) < pairs; )
            {
                int b = pair / heads,
                    h = pair % heads;
                Rotate((float*)pass.Projected + (long)b * width + h * headDim, query, headDim, rotated, (float*)pass.Cos, (float*)pass.Sin);
                long head = (((long)b * kvHeads + h / group) * capacity + first) * headDim;
                Attend(
                    query,
                    (float*)pass.Keys + head,
                    (float*)pass.Values + head,
                    keys,
                    headDim,
                    scale,
                    softcap,
                    scores,
                    (float*)pass.Output + ((long)b * heads + h) * headDim
                );
            }
        });
    }

    /// <summary>softmax(q·Kᵀ·scale)·V over <paramref name="keys"/> slots: the vector form where d_head is a multiple of 16
    /// (every model this tool ships, and the usual 64 and 128), else one library call per slot.</summary>
    private static void Attend(
        float* query,
        float* k,
        float* v,
        long keys,
        int headDim,
        float scale,
        float softcap,
        float[] scores,
        float* output
    )
    {
        if (headDim % Lanes == 0 && keys <= int.MaxValue)
            AttendVectors(query, k, v, (int)keys, headDim, scale, softcap, scores, output);
        else
            AttendAnyWidth(query, k, v, keys, headDim, scale, softcap, scores, output);
    }

    /// <summary>scores ← c·tanh(scores / c), the three steps in libtorch's order (div, tanh, mul); returns the new maximum
    /// (NaN if a score is NaN).</summary>
    private static float SoftCap(Span<float> scores, float softcap)
    {
        TensorPrimitives.Divide(scores, softcap, scores);
        TensorPrimitives.Tanh(scores, scores);
        TensorPrimitives.Multiply(scores, softcap, scores);
        return TensorPrimitives.Max(scores);
    }

    /// <summary><see cref="Attend"/> for d_head = 16·m, held in registers. Scores four slots at a time: each slot's m
    /// products are one chain of fused multiply-adds into a 16-lane vector, and the four vectors are summed lane-wise
    /// together (halves, quarters, then two horizontal adds), the order <see cref="Sum"/> uses for a single leftover slot.
    /// Meanwhile the keys 8 slots ahead are fetched into L1 and the value rows of the slots scored into L2, for the second
    /// pass (a pair's cache rows are a short stream that the hardware prefetcher picks up late: perf, 32-row decoding).
    /// Then the exponentials in one vectorised pass, and each 16-feature slice of the output one register accumulated over
    /// the slots (two chains, even and odd slots, added at the end), scaled by 1/Σ once.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void AttendVectors(
        float* query,
        float* k,
        float* v,
        int keys,
        int headDim,
        float scale,
        float softcap,
        float[] scores,
        float* output
    )
    {
        int vectors = headDim / Lanes;
        fixed (float* s = scores)
        {
            var maxima = Vector128.Create(float.NegativeInfinity);
            var scales = Vector128.Create(scale);
            int t = 0;
            for (; t + 4 <= keys; t += 4)
            {
                var k0 = k + (long)t * headDim;
                var v0 = v + (long)t * headDim;
                for (int c = 0; c < 4 * vectors; c++)
                {
                    Sse.Prefetch0(k0 + 8 * headDim + c * Lanes);
                    Sse.Prefetch1(v0 + c * Lanes);
                }
                var q0 = Vector512.Load(query);
                Vector512<float> p0 = q0 * Vector512.Load(k0),
                    p1 = q0 * Vector512.Load(k0 + headDim),
                    p2 = q0 * Vector512.Load(k0 + 2 * headDim),
                    p3 = q0 * Vector512.Load(k0 + 3 * headDim);
                for (int c = 1; c < vectors; c++)
                {
                    var qc = Vector512.Load(query + c * Lanes);
                    var kc = k0 + c * Lanes;
                    p0 = Vector512.FusedMultiplyAdd(qc, Vector512.Load(kc), p0);
                    p1 = Vector512.FusedMultiplyAdd(qc, Vector512.Load(kc + headDim), p1);
                    p2 = Vector512.FusedMultiplyAdd(qc, Vector512.Load(kc + 2 * headDim), p2);
                    p3 = Vector512.FusedMultiplyAdd(qc, Vector512.Load(kc + 3 * headDim), p3);
                }
                var sums =
                    Sse3.HorizontalAdd(Sse3.HorizontalAdd(Quarter(p0), Quarter(p1)), Sse3.HorizontalAdd(Quarter(p2), Quarter(p3))) * scales;
                sums.Store(s + t);
                maxima = Vector128.Max(maxima, sums); // a NaN score makes the maximum NaN, and the whole output with it
            }
            float max = MathF.Max(MathF.Max(maxima[0], maxima[1]), MathF.Max(maxima[2], maxima[3]));
            for (; t < keys; t++)
            {
                var kt = k + (long)t * headDim;
                var sum = Vector512.Load(query) * Vector512.Load(kt);
                for (int c = 1; c < vectors; c++)
                    sum = Vector512.FusedMultiplyAdd(Vector512.Load(query + c * Lanes), Vector512.Load(kt + c * Lanes), sum);
                s[t] = Sum(sum) * scale;
                max = MathF.Max(max, s[t]);
            }
            var weights = new Span<float>(s, keys);
            if (softcap > 0)
                max = SoftCap(weights, softcap);
            TensorPrimitives.Subtract(weights, max, weights);
            TensorPrimitives.Exp(weights, weights);
            var inverse = Vector512.Create(1 / TensorPrimitives.Sum(weights));
            for (int c = 0; c < vectors; c++)
            {
                var column = v + c * Lanes;
                Vector512<float> even = default,
                    odd = default;
                t = 0;
                for (; t + 2 <= keys; t += 2)
                {
                    even = Vector512.FusedMultiplyAdd(Vector512.Load(column + (long)t * headDim), Vector512.Create(s[t]), even);
                    odd = Vector512.FusedMultiplyAdd(Vector512.Load(column + (long)(t + 1) * headDim), Vector512.Create(s[t + 1]), odd);
                }
                if (t < keys)
                    even = Vector512.FusedMultiplyAdd(Vector512.Load(column + (long)t * headDim), Vector512.Create(s[t]), even);
                ((even + odd) * inverse).Store(output + c * Lanes);
            }
        }
    }

    /// <summary>The 16 lanes of <paramref name="x"/> added into 4: lower half + upper half, then again.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static Vector128<float> Quarter(Vector512<float> x)
    {
        var half = x.GetLower() + x.GetUpper(); // 8 lanes
        return half.GetLower() + half.GetUpper();
    }

    /// <summary>The sum of the 16 lanes, in the order of the four-slot scores: quarters, then two horizontal adds.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static float Sum(Vector512<float> x)
    {
        var quarter = Quarter(x);
        var pairs = Sse3.HorizontalAdd(quarter, quarter);
        return Sse3.HorizontalAdd(pairs, pairs).ToScalar();
    }

    /// <summary><see cref="Attend"/> for any d_head: one library dot product and one multiply-add per slot.</summary>
    private static void AttendAnyWidth(
        float* query,
        float* k,
        float* v,
        long keys,
        int headDim,
        float scale,
        float softcap,
        float[] scores,
        float* output
    )
    {
        var q = new ReadOnlySpan<float>(query, headDim);
        float max = float.NegativeInfinity;
        for (long t = 0; t < keys; t++)
        {
            var s = TensorPrimitives.Dot(q, new ReadOnlySpan<float>(k + t * headDim, headDim)) * scale;
            scores[t] = s;
            max = Math.Max(max, s);
        }
        if (softcap > 0)
            max = SoftCap(scores.AsSpan(0, (int)keys), softcap);
        double total = 0;
        for (long t = 0; t < keys; t++)
        {
            var e = MathF.Exp(scores[t] - max);
            scores[t] = e;
            total += e;
        }
        var z = new Span<float>(output, headDim);
        z.Clear();
        var inverse = (float)(1 / total);
        for (long t = 0; t < keys; t++)
            TensorPrimitives.MultiplyAdd(new ReadOnlySpan<float>(v + t * headDim, headDim), scores[t] * inverse, z, z);
    }

    /// <summary>out = x·cos + swapped(x)·sin on the first <paramref name="rotated"/> features (swapped pairs i with i ± R/2
    /// and the table's sines carry the sign), the rest copied; rounded as libtorch rounds it (RotaryKernel.Row, the
    /// prefill's rotation). <paramref name="output"/> must not overlap x.</summary>
    private static void Rotate(float* x, float* output, int headDim, int rotated, float* cos, float* sin) =>
        RotaryKernel.Row(x, output, headDim, rotated, cos, sin);
}

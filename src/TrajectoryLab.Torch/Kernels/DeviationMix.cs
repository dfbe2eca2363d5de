// The re-combination of tangent deviations in a key–value buffer, in one pass over its memory: for every slot and head,
// the k perturbed rows' deviations from the reference row, dev_j = row_j − row_0, become row_0 + Σ_j mix[j, i]·dev_j in
// row i. The libtorch version makes three passes over the strided buffer (subtract, addmm, copy back); this reads each
// float once and writes each perturbed one once, sixteen positions at a time with the k deviations held in registers or
// on the stack. The buffer's last axis must be contiguous; any other strides are followed. Only the deviations that the
// mix uses are read into each output: the re-orthonormalisation's R⁻¹ is upper triangular (output i uses deviations
// j ≤ i: about half the products at k = 16) and a renormalisation's is diagonal, so each block of four outputs runs over
// the span of rows whose coefficients are not all zero (a skipped term is an exact zero: the sums do not change).
// Reference: Benettin et al. (1980), Meccanica 15:9 (the tangent re-orthonormalisation this serves); docs/performance.md.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>row_i ← row_0 + Σ_j mix[j, i] (row_j − row_0), i, j = 1 … k, over a strided [1 + k, heads, slots, d] buffer.</summary>
internal static unsafe class DeviationMix
{
    /// <summary>Most deviations the kernel holds on its stack; larger k uses libtorch.</summary>
    public const int MaxDirections = 256;

    private const int Lanes = 16;

    /// <summary>Mixes slots <paramref name="offset"/> … offset + count − 1 of every head.</summary>
    /// <param name="buffer">Element [0, 0, 0, 0] of the buffer.</param>
    /// <param name="rowStride">Floats between rows (axis 0).</param>
    /// <param name="headStride">Floats between heads (axis 1).</param>
    /// <param name="slotStride">Floats between slots (axis 2).</param>
    /// <param name="heads">Heads.</param>
    /// <param name="offset">First slot mixed.</param>
    /// <param name="count">Slots mixed.</param>
    /// <param name="width">Floats per slot and head (axis 3, contiguous).</param>
    /// <param name="k">Perturbed rows (the buffer has 1 + k).</param>
    /// <param name="mix">[k, k] row-major: mix[j·k + i] multiplies deviation j in row i.</param>
    /// <param name="threads">Threads sharing the slots.</param>
    public static void Apply(
        float* buffer,
        long rowStride,
        long headStride,
        long slotStride,
        int heads,
        long offset,
        long count,
        int width,
        int k,
        float* mix,
        int threads
    )
    {
        if (count <= 0 || heads <= 0 || k <= 0)
            return;
        long runs = heads * count; // (head, slot) pairs, each a contiguous run of `width` floats per row
        int parts = (int)Math.Clamp(Math.Min(threads, runs), 1, KernelWorkers.MaxParts);
        var spans = Spans(mix, k);
        nint at = (nint)buffer,
            mixAt = (nint)mix;
        KernelWorkers.Run(parts, p =>
        {
            long from = runs * p / parts,
                to = runs * (p + 1) / parts;
            for (long run = from; run < to; run++)
            {
                long head = run / count,
                    slot = offset + run % count;
                Run((float*)at + head * headStride + slot * slotStride, rowStride, width, k, (float*)mixAt, spans);
            }
        });
    }

    /// <summary>For each output i: the first and one past the last deviation j with mix[j, i] ≠ 0 (an empty span is 0, 0),
    /// then for each block of four outputs from i = 4b the union of their spans: [2k + 2b], [2k + 2b + 1].</summary>
    /// <param name="mix">[k, k] row-major.</param>
    /// <param name="k">Deviations.</param>
    internal static int[] Spans(float* mix, int k)
    {
        var blocks = k / 4;
        var spans = new int[2 * k + 2 * blocks];
        for (int i = 0; i < k; i++)
        {
            int first = k,
                last = -1;
            for (int j = 0; j < k; j++)
                if (mix[j * k + i] != 0)
                {
                    first = Math.Min(first, j);
                    last = j;
                }
            (spans[2 * i], spans[2 * i + 1]) = last < 0 ? (0, 0) : (first, last + 1);
        }
        for (int b = 0; b < blocks; b++)
        {
            int first = k,
                end = 0;
            for (int i = 4 * b; i < 4 * b + 4; i++)
                if (spans[2 * i + 1] > spans[2 * i])
                {
                    first = Math.Min(first, spans[2 * i]);
                    end = Math.Max(end, spans[2 * i + 1]);
                }
            (spans[2 * k + 2 * b], spans[2 * k + 2 * b + 1]) = end == 0 ? (0, 0) : (first, end);
        }
        return spans;
    }

    /// <summary>One (head, slot): <paramref name="width"/> floats in each of the 1 + k rows.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Run(float* reference, long rowStride, int width, int k, float* mix, int[] spans)
    {
        var deviations = stackalloc Vector512<float>[k];
        int v = 0;
        for (; v + Lanes <= width; v += Lanes)
        {
            var r0 = Vector512.Load(reference + v);
            for (int j = 0; j < k; j++)
                deviations[j] = Vector512.Load(reference + (j + 1) * rowStride + v) - r0;
            // Four outputs at a time: four independent chains of fused multiply-adds hide the instruction's latency (one
            // chain of k dependent ones made the mix latency-bound), and each deviation is loaded once for the four.
            int i = 0;
            for (; i + 4 <= k; i += 4)
            {
                Vector512<float> s0 = r0,
                    s1 = r0,
                    s2 = r0,
                    s3 = r0;
                int first = spans[2 * k + i / 2],
                    end = spans[2 * k + i / 2 + 1];
                var m = mix + first * k + i;
                for (int j = first; j < end; j++, m += k)
                {
                    var d = deviations[j];
                    s0 = Vector512.FusedMultiplyAdd(d, Vector512.Create(m[0]), s0);
                    s1 = Vector512.FusedMultiplyAdd(d, Vector512.Create(m[1]), s1);
                    s2 = Vector512.FusedMultiplyAdd(d, Vector512.Create(m[2]), s2);
                    s3 = Vector512.FusedMultiplyAdd(d, Vector512.Create(m[3]), s3);
                }
                s0.Store(reference + (i + 1) * rowStride + v);
                s1.Store(reference + (i + 2) * rowStride + v);
                s2.Store(reference + (i + 3) * rowStride + v);
                s3.Store(reference + (i + 4) * rowStride + v);
            }
            for (; i < k; i++)
            {
                var sum = r0;
                for (int j = spans[2 * i]; j < spans[2 * i + 1]; j++)
                    sum = Vector512.FusedMultiplyAdd(deviations[j], Vector512.Create(mix[j * k + i]), sum);
                sum.Store(reference + (i + 1) * rowStride + v);
            }
        }
        if (v == width)
            return;
        var tail = stackalloc float[k];
        for (; v < width; v++)
        {
            var r0 = reference[v];
            for (int j = 0; j < k; j++)
                tail[j] = reference[(j + 1) * rowStride + v] - r0;
            for (int i = 0; i < k; i++)
            {
                var sum = r0;
                for (int j = spans[2 * i]; j < spans[2 * i + 1]; j++)
                    sum = MathF.FusedMultiplyAdd(tail[j], mix[j * k + i], sum);
                reference[(i + 1) * rowStride + v] = sum;
            }
        }
    }
}

// SimdGemm's shapes for CPUs with AVX2 and FMA3 but no AVX-512 (16 registers of 256 bits, where AVX-512 has 32 of 512):
// the streamed few-row product with 256-bit vectors, and a micro-kernel of 6 rows × 16 columns whose 12 accumulators, two
// loads of W and one broadcast fit the 16 registers (a 512-bit operation that the CPU lacks is two 256-bit ones in .NET,
// and the 24 accumulators of the 64-column kernel would be 48, spilled to memory). Every output element is the same chain
// of fused multiply-adds as on AVX-512, over i = 0 … in − 1 (in chunks, for the streamed path), so the bits do not
// depend on the vector width either.
// References: Goto & van de Geijn (2008), "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3); Van Zee &
// van de Geijn (2015), "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", ACM TOMS 41(3) (the 6 × 16
// AVX2 micro-kernel shape); docs/performance.md.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrajectoryLab.Torch.Kernels;

internal static unsafe partial class SimdGemm
{
    private const int HalfLanes = 8; // floats in a 256-bit vector
    private const int PackRows = 24; // from this many rows of x, a 16-column tile of W is copied to a panel first

    [ThreadStatic]
    private static float[]? _panel; // the calling thread's copy of one tile of W, [depth, 16]

    /// <summary>One block of W (<paramref name="depth"/> rows × <paramref name="width"/> columns, a multiple of 16) for
    /// many rows of x: each 16-column tile is copied into a contiguous panel (18 KB at a depth of 288, held in the L1
    /// cache) and every block of six rows runs over the panel. Read in place, a tile's rows are one cache line each,
    /// <paramref name="output"/> floats apart, and strides such as 1536 floats map them to a few sets of the L1 cache,
    /// so every row of W came from L2 again for every six rows of x. The chains are those of the unpacked kernel.</summary>
    /// <param name="x">Row 0's first float of this block of W's rows.</param>
    /// <param name="xStride">Floats between rows of x.</param>
    /// <param name="block">[depth, width] of W, rows <paramref name="output"/> floats apart.</param>
    /// <param name="output">Floats between rows of W and of y.</param>
    /// <param name="y">Row 0's first column of the block.</param>
    /// <param name="rows">Rows of x and y.</param>
    /// <param name="depth">Rows of this block of W.</param>
    /// <param name="width">Columns of the block, a multiple of 16.</param>
    /// <param name="first">Whether this is the first block of W's rows (y's chains start at 0).</param>
    private static void PackedTiles(float* x, long xStride, float* block, int output, float* y, int rows, int depth, int width, bool first)
    {
        var panel =
            _panel is { } held && held.Length >= depth * Lanes
                ? held
                : _panel = GC.AllocateArray<float>(Math.Max(depth * Lanes, 16 * 1024), pinned: true);
        fixed (float* p = panel)
            for (int t = 0; t < width; t += Lanes)
            {
                var source = block + t;
                for (int i = 0; i < depth; i++, source += output)
                {
                    Vector256.Load(source).Store(p + i * Lanes);
                    Vector256.Load(source + HalfLanes).Store(p + i * Lanes + HalfLanes);
                }
                for (int r = 0, count; r < rows; r += count)
                {
                    count = NextRowBlock(rows - r);
                    SixRowsNarrow256(x + r * xStride, xStride, p, Lanes, y + (long)r * output + t, output, count, depth, first, null);
                }
            }
    }

    /// <summary><see cref="Streamed"/> with 256-bit vectors: four rows of W per pass over each row of y.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Streamed256(float* x, long xStride, float* w, float* y, int rows, int input, int output)
    {
        int vectors = output / HalfLanes * HalfLanes;
        for (int r = 0; r < rows; r++)
            new Span<float>(y + (long)r * output, output).Clear();
        int i = 0;
        for (; i + 4 <= input; i += 4)
        {
            float* w0 = w + (long)i * output,
                w1 = w0 + output,
                w2 = w1 + output,
                w3 = w2 + output;
            for (int r = 0; r < rows; r++)
            {
                var xr = x + r * xStride + i;
                float s0 = xr[0],
                    s1 = xr[1],
                    s2 = xr[2],
                    s3 = xr[3];
                Vector256<float> b0 = Vector256.Create(s0),
                    b1 = Vector256.Create(s1),
                    b2 = Vector256.Create(s2),
                    b3 = Vector256.Create(s3);
                var yr = y + (long)r * output;
                int v = 0;
                for (; v < vectors; v += HalfLanes)
                {
                    var a = Vector256.Load(yr + v);
                    a = Vector256.FusedMultiplyAdd(Vector256.Load(w0 + v), b0, a);
                    a = Vector256.FusedMultiplyAdd(Vector256.Load(w1 + v), b1, a);
                    a = Vector256.FusedMultiplyAdd(Vector256.Load(w2 + v), b2, a);
                    a = Vector256.FusedMultiplyAdd(Vector256.Load(w3 + v), b3, a);
                    a.Store(yr + v);
                }
                for (; v < output; v++)
                {
                    var a = MathF.FusedMultiplyAdd(w0[v], s0, yr[v]);
                    a = MathF.FusedMultiplyAdd(w1[v], s1, a);
                    a = MathF.FusedMultiplyAdd(w2[v], s2, a);
                    yr[v] = MathF.FusedMultiplyAdd(w3[v], s3, a);
                }
            }
        }
        for (; i < input; i++)
        {
            var wi = w + (long)i * output;
            for (int r = 0; r < rows; r++)
            {
                float s = x[r * xStride + i];
                var b = Vector256.Create(s);
                var yr = y + (long)r * output;
                int v = 0;
                for (; v < vectors; v += HalfLanes)
                    Vector256.FusedMultiplyAdd(Vector256.Load(wi + v), b, Vector256.Load(yr + v)).Store(yr + v);
                for (; v < output; v++)
                    yr[v] = MathF.FusedMultiplyAdd(wi[v], s, yr[v]);
            }
        }
    }

    /// <summary><see cref="SixRowsNarrow"/> with 256-bit vectors: 6 rows × 16 columns, two accumulators per row.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SixRowsNarrow256(
        float* x,
        long xStride,
        float* tile,
        int tileStride,
        float* y,
        int output,
        int count,
        int depth,
        bool first,
        float* ahead
    )
    {
        float* x0 = x,
            x1 = x + Math.Min(1, count - 1) * xStride,
            x2 = x + Math.Min(2, count - 1) * xStride,
            x3 = x + Math.Min(3, count - 1) * xStride,
            x4 = x + Math.Min(4, count - 1) * xStride,
            x5 = x + Math.Min(5, count - 1) * xStride;
        float* y1 = y + Math.Min(1, count - 1) * (long)output,
            y2 = y + Math.Min(2, count - 1) * (long)output,
            y3 = y + Math.Min(3, count - 1) * (long)output,
            y4 = y + Math.Min(4, count - 1) * (long)output,
            y5 = y + Math.Min(5, count - 1) * (long)output;
        Vector256<float> a0 = default,
            c0 = default,
            a1 = default,
            c1 = default,
            a2 = default,
            c2 = default,
            a3 = default,
            c3 = default,
            a4 = default,
            c4 = default,
            a5 = default,
            c5 = default;
        if (!first)
        {
            (a0, c0) = (Vector256.Load(y), Vector256.Load(y + HalfLanes));
            (a1, c1) = (Vector256.Load(y1), Vector256.Load(y1 + HalfLanes));
            (a2, c2) = (Vector256.Load(y2), Vector256.Load(y2 + HalfLanes));
            (a3, c3) = (Vector256.Load(y3), Vector256.Load(y3 + HalfLanes));
            (a4, c4) = (Vector256.Load(y4), Vector256.Load(y4 + HalfLanes));
            (a5, c5) = (Vector256.Load(y5), Vector256.Load(y5 + HalfLanes));
        }
        var wi = tile;
        for (int i = 0; i < depth; i++, wi += tileStride)
        {
            if (ahead != null)
                Sse.Prefetch1(ahead + (long)i * tileStride);
            var lo = Vector256.Load(wi);
            var hi = Vector256.Load(wi + HalfLanes);
            var b = Vector256.Create(x0[i]);
            a0 = Vector256.FusedMultiplyAdd(lo, b, a0);
            c0 = Vector256.FusedMultiplyAdd(hi, b, c0);
            b = Vector256.Create(x1[i]);
            a1 = Vector256.FusedMultiplyAdd(lo, b, a1);
            c1 = Vector256.FusedMultiplyAdd(hi, b, c1);
            b = Vector256.Create(x2[i]);
            a2 = Vector256.FusedMultiplyAdd(lo, b, a2);
            c2 = Vector256.FusedMultiplyAdd(hi, b, c2);
            b = Vector256.Create(x3[i]);
            a3 = Vector256.FusedMultiplyAdd(lo, b, a3);
            c3 = Vector256.FusedMultiplyAdd(hi, b, c3);
            b = Vector256.Create(x4[i]);
            a4 = Vector256.FusedMultiplyAdd(lo, b, a4);
            c4 = Vector256.FusedMultiplyAdd(hi, b, c4);
            b = Vector256.Create(x5[i]);
            a5 = Vector256.FusedMultiplyAdd(lo, b, a5);
            c5 = Vector256.FusedMultiplyAdd(hi, b, c5);
        }
        a0.Store(y);
        c0.Store(y + HalfLanes);
        if (count > 1)
            (a1, c1).Store(y + output);
        if (count > 2)
            (a2, c2).Store(y + 2L * output);
        if (count > 3)
            (a3, c3).Store(y + 3L * output);
        if (count > 4)
            (a4, c4).Store(y + 4L * output);
        if (count > 5)
            (a5, c5).Store(y + 5L * output);
    }
}

/// <summary>A pair of 256-bit vectors stored as 16 consecutive floats.</summary>
file static unsafe class PairStore
{
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static void Store(this (Vector256<float> Low, Vector256<float> High) pair, float* at)
    {
        pair.Low.Store(at);
        pair.High.Store(at + 8);
    }
}

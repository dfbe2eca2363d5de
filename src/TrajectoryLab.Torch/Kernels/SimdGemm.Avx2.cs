// SimdGemm's shapes for CPUs with AVX2 and FMA3 but no AVX-512 (16 registers of 256 bits, where AVX-512 has 32 of 512).
// .NET runs a 512-bit operation that the CPU lacks as two 256-bit ones, so the 16-column micro-kernel (six 16-lane
// accumulators: 12 of the 16 registers) serves as it is, while the 64-column one (24 accumulators, 48 registers) would
// spill: without AVX-512 every tile is a 16-column one, and from PackRows rows each is first copied to a panel
// (PackedTiles). The streamed few-row product has a 256-bit form of its own: the 512-bit one run as pairs was 2–7%
// slower at one row (interleaved: the 32000-column head 556 against 516 µs). Every output element is the same chain of
// fused multiply-adds as on AVX-512, over i = 0 … in − 1 (in chunks, for the streamed path), so the bits do not depend
// on the vector width either.
// References: Goto & van de Geijn (2008), "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3) (packing);
// docs/performance.md, "CPUs without AVX-512".
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TrajectoryLab.Torch.Kernels;

internal static unsafe partial class SimdGemm
{
    private const int HalfLanes = 8; // floats in a 256-bit vector
    // From this many rows of x, a 16-column tile of W is copied to a panel first: at 16–23 rows (warm, interleaved) the
    // panel was 1–15% faster for outputs of 768 columns or more and up to 10% slower for 256- and 288-column squares, 4–6%
    // faster over a layer of either bench model (docs/performance.md, "The spectrum step on AVX2"); 24 before.
    private const int PackRows = 16;

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
                    SixRowsNarrow(x + r * xStride, xStride, p, Lanes, y + (long)r * output + t, output, count, depth, first, null);
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
}

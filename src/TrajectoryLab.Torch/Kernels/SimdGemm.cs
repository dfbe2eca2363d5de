// y = x W for a float32 weight W stored [in, out] row-major and a few or many rows of x: the CPU kernel behind
// WeightProduct for inference. Two regimes:
//  - Up to 4 rows (decoding) the product is bound by reading W. W's rows are cut into up to 8 contiguous chunks, fixed by
//    the input width; the threads take the chunks one at a time, one chain of fused multiply-adds per chunk,
//    and the chunks' partial sums are added in chunk order.
//  - More rows are bound by arithmetic. The threads take units of output columns one at a time (no two write the same
//    cache line); W is read in place, block by block, in tiles of 64 columns (four 512-bit vectors), and a tile is computed for
//    6 rows at a time with 24 vector accumulators held in registers: per row i of W, four vector loads of W and one broadcast of
//    x[r, i] per row r feed 24 fused multiply-adds. One chain per output element runs over i = 0 … in − 1. A 16-column
//    tile and a scalar loop finish widths that are not multiples of 64.
// Neither regime's bits depend on the thread count (libtorch's thread count is process-wide and may change under a
// caller). They differ from each other, though: a row computed alone (streamed) and the same row in a batch of more than
// 4 (blocked) agree to float32 rounding, not bit for bit.
// References: Goto & van de Geijn (2008), "Anatomy of high-performance matrix multiplication", ACM TOMS 34(3) (register
// blocking of the micro-kernel); Karpathy (2023), llama2.c run.c (the matrix-vector loop it replaces); docs/performance.md.
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>Row-major single-precision y = x W on the CPU with 512-bit vectors, spread over threads.</summary>
internal static unsafe partial class SimdGemm
{
    private const int Lanes = 16; // floats in a 512-bit vector
    private const int Tile = 4 * Lanes; // columns of the 6-row micro-kernel
    private const int RowBlock = 6; // rows of the larger micro-kernel (a 4-row one takes the remainders)
    private const int StreamedRows = 4; // at most this many rows stream W; more run the blocked micro-kernel
    private const int StreamChunks = 8; // chunks of W's rows in the streamed path (up to 8 threads share them)
    private const int MinChunkRows = 32; // fewer rows of W per chunk are not worth a partial sum
    private const int BlockRows = 256; // rows of W per block of the many-row path
    private const int BlockColumns = 256; // columns of W per block (256 × 256 floats = 256 KiB, in L2)
    private const int UnitsPerThread = 8; // units of the many-row path per thread, row groups included
    private const int MinGroupRows = 48; // fewer rows per group do not amortise a pass over a block of W

    [ThreadStatic]
    private static float[]? _partials; // the calling thread's buffer for the other threads' partial sums

    [ThreadStatic]
    private static long _calls;

    /// <summary>Calls made so far from this thread (lets a test see that the kernel, not libtorch, ran).</summary>
    public static long Calls => _calls;

    /// <summary>Whether this CPU runs the kernels in hardware: 512-bit vectors (AVX-512), or 256-bit vectors with fused
    /// multiply-add (AVX2 and FMA3), on which each 512-bit operation is two 256-bit ones with the same bits.</summary>
    public static bool Supported => Wide || (Vector256.IsHardwareAccelerated && Fma.IsSupported);

    /// <summary>Whether 512-bit vectors run in hardware (else the kernels take their 256-bit shapes).</summary>
    public static bool Wide => Vector512.IsHardwareAccelerated;

    /// <summary>y[r, o] = Σ_i x[r, i] · w[i, o] for r &lt; rows, o &lt; output.</summary>
    /// <param name="x">[rows, ·] with row r starting at x + r·xStride, its first <paramref name="input"/> floats read.</param>
    /// <param name="xStride">Floats from one row of x to the next.</param>
    /// <param name="w">[input, output], contiguous.</param>
    /// <param name="y">[rows, output], contiguous; overwritten.</param>
    /// <param name="rows">Rows of x and y.</param>
    /// <param name="input">Rows of w.</param>
    /// <param name="output">Columns of w and y.</param>
    /// <param name="threads">Threads sharing the work (at most 64).</param>
    /// <param name="wide">The 512-bit shapes (true) or the 256-bit ones (false); null for this CPU's (<see cref="Wide"/>). A
    /// test runs both on one machine to see the same bits.</param>
    public static void Multiply(float* x, long xStride, float* w, float* y, int rows, int input, int output, int threads, bool? wide = null)
    {
        bool shapes = wide ?? Wide;
        if (rows <= 0 || output <= 0)
            return;
        _calls++;
        threads = Math.Clamp(threads, 1, KernelWorkers.MaxParts);
        if (rows <= StreamedRows)
            SplitRowsOfW(x, xStride, w, y, rows, input, output, threads, shapes);
        else
            SplitColumns(x, xStride, w, y, rows, input, output, Math.Min(threads, (output + Tile - 1) / Tile), shapes);
    }

    /// <summary>Few rows, bound by reading W: W's rows are cut into a fixed number of contiguous chunks (set by the input
    /// width alone, never by the thread count), each chunk's partial sums are one chain of fused multiply-adds, and the
    /// partials are added in chunk order. Each thread takes the next chunk not yet taken until none is left. The bits therefore do
    /// not depend on the threads: the thread count is process-wide in libtorch, and another caller may change it (a
    /// test, a training run) while this one computes.</summary>
    private static void SplitRowsOfW(float* x, long xStride, float* w, float* y, int rows, int input, int output, int threads, bool wide)
    {
        int chunks = Math.Clamp(input / MinChunkRows, 1, StreamChunks);
        if (chunks == 1)
        {
            Streamed(x, xStride, w, y, rows, input, output, wide);
            return;
        }
        int parts = Math.Min(threads, chunks);
        long size = (long)rows * output;
        var scratch =
            _partials is { } held && held.LongLength >= size * (chunks - 1)
                ? held
                : _partials = GC.AllocateArray<float>(checked((int)(size * (chunks - 1))), pinned: true);
        fixed (float* partials = scratch)
        {
            nint xAddress = (nint)x,
                wAddress = (nint)w,
                yAddress = (nint)y,
                pAddress = (nint)partials;
            // The chunks are handed out one at a time (whoever is free takes the next), so a worker that wakes late costs
            // the caller nothing but the chunks it takes over; which thread computes a chunk does not change its bits.
            int next = -1;
            KernelWorkers.Run(parts, _ =>
            {
                for (int c; (c = Interlocked.Increment(ref next)) < chunks; )
                {
                    int from = (int)((long)input * c / chunks),
                        to = (int)((long)input * (c + 1) / chunks);
                    var target = c == 0 ? (float*)yAddress : (float*)pAddress + (c - 1) * size;
                    Streamed(
                        (float*)xAddress + from,
                        xStride,
                        (float*)wAddress + (long)from * output,
                        target,
                        rows,
                        to - from,
                        output,
                        wide
                    );
                }
            });
            for (int c = 1; c < chunks; c++)
            for (long at = 0; at < size; at += int.MaxValue / 2)
            {
                int length = (int)Math.Min(int.MaxValue / 2, size - at);
                var sum = new Span<float>(y + at, length);
                TensorPrimitives.Add(sum, new ReadOnlySpan<float>(partials + (c - 1) * size + at, length), sum);
            }
        }
    }

    /// <summary>Many rows, bound by arithmetic: the output columns are cut into units of whole 64-column tiles (up to a
    /// block of W's columns, at least four units per thread), and each thread takes the next unit not yet taken until none
    /// is left, so a thread that starts late costs only the units the others take over. Units never share a cache line
    /// of y, and a column's chain does not depend on which thread computes it. A narrow product of many rows (a prefill's
    /// 288-column projections make five column units, the last one half a tile) also cuts its rows into groups of whole
    /// six-row blocks, up to <see cref="UnitsPerThread"/> units per thread, so that the threads finish within a small
    /// unit of each other (the caller had waited about 40 µs per product for the other thread's last unit); a row's
    /// chains are the same in any group.</summary>
    private static void SplitColumns(float* x, long xStride, float* w, float* y, int rows, int input, int output, int parts, bool wide)
    {
        int tiles = (output + Tile - 1) / Tile,
            unitTiles = Math.Max(1, (tiles + 4 * parts - 1) / (4 * parts)),
            columnUnits = (tiles + unitTiles - 1) / unitTiles,
            groups = Math.Clamp((UnitsPerThread * parts + columnUnits - 1) / columnUnits, 1, Math.Max(1, rows / MinGroupRows)),
            units = columnUnits * groups;
        parts = Math.Min(parts, units);
        if (parts <= 1)
        {
            Blocked(x, xStride, w, y, rows, input, output, 0, output, -1, wide);
            return;
        }
        nint xAddress = (nint)x,
            wAddress = (nint)w,
            yAddress = (nint)y;
        int next = -1;
        KernelWorkers.Run(parts, _ =>
        {
            for (int u; (u = Interlocked.Increment(ref next)) < units; )
            {
                // Unit u: columns of column unit u / groups, rows of group u % groups (the groups of one column unit are
                // taken together, so both threads read the same block of W). The unit this thread most likely takes next
                // (the threads take turns) has its first block prefetched.
                int column = u / groups,
                    group = u % groups,
                    likely = (u + parts) / groups,
                    guess = u + parts < units && likely != column ? likely * unitTiles * Tile : -1,
                    from = column * unitTiles * Tile,
                    to = Math.Min(output, (column + 1) * unitTiles * Tile),
                    first = GroupStart(rows, group, groups),
                    last = GroupStart(rows, group + 1, groups);
                Blocked(
                    (float*)xAddress + first * xStride,
                    xStride,
                    (float*)wAddress,
                    (float*)yAddress + (long)first * output,
                    last - first,
                    input,
                    output,
                    from,
                    to,
                    guess,
                    wide
                );
            }
        });
    }

    /// <summary>The first row of row group <paramref name="group"/> of <paramref name="groups"/>: an even share of the
    /// rows, rounded down to whole six-row blocks (the last group ends at <paramref name="rows"/>).</summary>
    private static int GroupStart(int rows, int group, int groups) =>
        group >= groups ? rows : (int)((long)rows * group / groups) / RowBlock * RowBlock;

    /// <summary>y = x W for a few rows on one thread: W read once, four of its rows at a time, each row from start to end;
    /// y's rows (held in the L1/L2 caches) take four fused multiply-adds per load and store.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Streamed(float* x, long xStride, float* w, float* y, int rows, int input, int output, bool wide)
    {
        if (!wide)
        {
            Streamed256(x, xStride, w, y, rows, input, output);
            return;
        }
        int vectors = output / Lanes * Lanes;
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
                Vector512<float> b0 = Vector512.Create(s0),
                    b1 = Vector512.Create(s1),
                    b2 = Vector512.Create(s2),
                    b3 = Vector512.Create(s3);
                var yr = y + (long)r * output;
                int v = 0;
                for (; v < vectors; v += Lanes)
                {
                    var a = Vector512.Load(yr + v);
                    a = Vector512.FusedMultiplyAdd(Vector512.Load(w0 + v), b0, a);
                    a = Vector512.FusedMultiplyAdd(Vector512.Load(w1 + v), b1, a);
                    a = Vector512.FusedMultiplyAdd(Vector512.Load(w2 + v), b2, a);
                    a = Vector512.FusedMultiplyAdd(Vector512.Load(w3 + v), b3, a);
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
                var b = Vector512.Create(s);
                var yr = y + (long)r * output;
                int v = 0;
                for (; v < vectors; v += Lanes)
                    Vector512.FusedMultiplyAdd(Vector512.Load(wi + v), b, Vector512.Load(yr + v)).Store(yr + v);
                for (; v < output; v++)
                    yr[v] = MathF.FusedMultiplyAdd(wi[v], s, yr[v]);
            }
        }
    }

    /// <summary>Many rows: bound by arithmetic. W is read in place, block by block (about 256 of its rows × 256 columns,
    /// 256 KiB, held in the L2 cache while every block of 6 rows of x runs the register-blocked micro-kernel over it). A
    /// block of W's rows after the first continues each output's chain of fused multiply-adds from the partial sum in y, so
    /// the chain is the one without blocking. W is not copied into a packed layout first (Goto's packing): at the widths
    /// of the models this tool runs, the copy cost twice the arithmetic (perf, 17 rows of a 256-wide model), while the
    /// micro-kernel's four 64-byte loads per row of W stream well from a strided block. Columns from … to − 1 are computed;
    /// <paramref name="after"/> is the first column of the range this thread likely computes next (−1 for none), whose
    /// first block is prefetched while the last one here is computed.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Blocked(
        float* x,
        long xStride,
        float* w,
        float* y,
        int rows,
        int input,
        int output,
        int from,
        int to,
        int after,
        bool wide
    )
    {
        int tiled = from + (to - from) / Lanes * Lanes; // columns from … tiled − 1 go through the vector kernels
        // W's rows in blocks of about BlockRows, evenly (288 rows make one block, not 256 + 32: a second pass over y for 32
        // rows of W), so that the block prefetched next has as many rows as the one computed meanwhile.
        int kBlocks = Math.Max(1, (int)Math.Round(input / (double)BlockRows)),
            kDepth = (input + kBlocks - 1) / kBlocks;
        for (int k0 = 0; k0 < input; k0 += kDepth)
        {
            int depth = Math.Min(kDepth, input - k0);
            bool first = k0 == 0;
            for (int c0 = from; c0 < tiled; c0 += BlockColumns)
            {
                int width = Math.Min(BlockColumns, tiled - c0),
                    wideColumns = wide ? width / Tile * Tile : 0; // 256-bit shapes: every tile is a 16-column one
                var block = w + (long)k0 * output + c0; // [depth, width] of W, rows `output` floats apart
                // The block this thread computes next (the next columns, else the next rows of W, else the unit it expects to
                // take next), fetched into L2 by the first row block while it computes this one: a vocabulary-wide head (32000
                // columns, 37 MB) does not fit the caches, and each of its rows is a separate page, which the hardware
                // prefetcher does not follow (perf: the 17- and 32-row heads ran at half the micro-kernel's rate).
                float* following =
                    c0 + BlockColumns < tiled ? block + BlockColumns
                    : k0 + depth < input ? w + (long)(k0 + depth) * output + from
                    : after >= 0 ? w + after
                    : null;
                if (!wide && rows >= PackRows)
                {
                    PackedTiles(x + k0, xStride, block, output, y + c0, rows, depth, width, first);
                    continue;
                }
                for (int r = 0, count; r < rows; r += count)
                {
                    count = NextRowBlock(rows - r);
                    var xr = x + r * xStride + k0;
                    var yr = y + (long)r * output + c0;
                    var ahead = r == 0 ? following : null;
                    for (int t = 0; t < wideColumns; t += Tile)
                        if (count <= 4)
                            FourRows(xr, xStride, block + t, output, yr + t, output, count, depth, first, ahead == null ? null : ahead + t);
                        else
                            SixRows(xr, xStride, block + t, output, yr + t, output, count, depth, first, ahead == null ? null : ahead + t);
                    for (int t = wideColumns; t < width; t += Lanes)
                        SixRowsNarrow(
                            xr,
                            xStride,
                            block + t,
                            output,
                            yr + t,
                            output,
                            count,
                            depth,
                            first,
                            ahead == null ? null : ahead + t
                        );
                }
            }
        }
        for (int c = tiled; c < to; c++) // fewer than 16 columns left: one scalar chain each
        for (int r = 0; r < rows; r++)
        {
            float sum = 0;
            var xr = x + r * xStride;
            for (int i = 0; i < input; i++)
                sum = MathF.FusedMultiplyAdd(w[(long)i * output + c], xr[i], sum);
            y[(long)r * output + c] = sum;
        }
    }

    /// <summary>Rows of the next micro-kernel call when <paramref name="left"/> rows remain: 6 (24 accumulators) or up to
    /// 4 (16), chosen so that the kernels' padded rows are fewest (e.g. 32 = 6·4 + 4·2, 17 = 6 + 6 + 5, 256 = 6·42 + 4). A
    /// block of fewer rows than its kernel repeats the last row, work that is thrown away.</summary>
    private static int NextRowBlock(int left) =>
        left switch
        {
            <= 6 => left,
            7 or 8 => 4,
            _ => RowBlock,
        };

    /// <summary><see cref="SixRows"/> for up to 4 rows: 16 accumulators, the same chains.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void FourRows(
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
            x3 = x + Math.Min(3, count - 1) * xStride;
        Vector512<float> a00,
            a01,
            a02,
            a03,
            a10,
            a11,
            a12,
            a13,
            a20,
            a21,
            a22,
            a23,
            a30,
            a31,
            a32,
            a33;
        if (first)
            a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = a20 = a21 = a22 = a23 = a30 = a31 = a32 = a33 = default;
        else
        {
            (a00, a01, a02, a03) = Load4(y);
            (a10, a11, a12, a13) = Load4(y + Math.Min(1, count - 1) * (long)output);
            (a20, a21, a22, a23) = Load4(y + Math.Min(2, count - 1) * (long)output);
            (a30, a31, a32, a33) = Load4(y + Math.Min(3, count - 1) * (long)output);
        }
        var wi = tile;
        for (int i = 0; i < depth; i++, wi += tileStride)
        {
            if (ahead != null)
                PrefetchTileRow(ahead + (long)i * tileStride);
            var w0 = Vector512.Load(wi);
            var w1 = Vector512.Load(wi + Lanes);
            var w2 = Vector512.Load(wi + 2 * Lanes);
            var w3 = Vector512.Load(wi + 3 * Lanes);
            var b = Vector512.Create(x0[i]);
            a00 = Vector512.FusedMultiplyAdd(w0, b, a00);
            a01 = Vector512.FusedMultiplyAdd(w1, b, a01);
            a02 = Vector512.FusedMultiplyAdd(w2, b, a02);
            a03 = Vector512.FusedMultiplyAdd(w3, b, a03);
            b = Vector512.Create(x1[i]);
            a10 = Vector512.FusedMultiplyAdd(w0, b, a10);
            a11 = Vector512.FusedMultiplyAdd(w1, b, a11);
            a12 = Vector512.FusedMultiplyAdd(w2, b, a12);
            a13 = Vector512.FusedMultiplyAdd(w3, b, a13);
            b = Vector512.Create(x2[i]);
            a20 = Vector512.FusedMultiplyAdd(w0, b, a20);
            a21 = Vector512.FusedMultiplyAdd(w1, b, a21);
            a22 = Vector512.FusedMultiplyAdd(w2, b, a22);
            a23 = Vector512.FusedMultiplyAdd(w3, b, a23);
            b = Vector512.Create(x3[i]);
            a30 = Vector512.FusedMultiplyAdd(w0, b, a30);
            a31 = Vector512.FusedMultiplyAdd(w1, b, a31);
            a32 = Vector512.FusedMultiplyAdd(w2, b, a32);
            a33 = Vector512.FusedMultiplyAdd(w3, b, a33);
        }
        Store4(y, a00, a01, a02, a03);
        if (count > 1)
            Store4(y + output, a10, a11, a12, a13);
        if (count > 2)
            Store4(y + 2L * output, a20, a21, a22, a23);
        if (count > 3)
            Store4(y + 3L * output, a30, a31, a32, a33);
    }

    /// <summary>Rows r … r + count − 1 of y (count ≤ 6, starting at <paramref name="x"/> and <paramref name="y"/>), 64
    /// columns, over <paramref name="depth"/> rows of a tile of W: y = x·tile, or y += x·tile continuing y's chains when
    /// not <paramref name="first"/>. Missing rows repeat the last one; their sums are not stored.</summary>
    /// <param name="x">Row r's first float of this block of W's rows.</param>
    /// <param name="xStride">Floats between rows of x.</param>
    /// <param name="tile">[depth, 64] with rows <paramref name="tileStride"/> apart.</param>
    /// <param name="tileStride">Floats between rows of the tile.</param>
    /// <param name="y">Row r's first column of the tile.</param>
    /// <param name="output">Floats between rows of y.</param>
    /// <param name="count">Rows of x and y, 1 … 6.</param>
    /// <param name="depth">Rows of the tile (of this block of W).</param>
    /// <param name="first">Whether this is the first block of W's rows (y's chains start at 0).</param>
    /// <param name="ahead">The same tile of the block of W computed next, prefetched row by row; null for none.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SixRows(
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
        Vector512<float> a00,
            a01,
            a02,
            a03,
            a10,
            a11,
            a12,
            a13,
            a20,
            a21,
            a22,
            a23;
        Vector512<float> a30,
            a31,
            a32,
            a33,
            a40,
            a41,
            a42,
            a43,
            a50,
            a51,
            a52,
            a53;
        if (first)
        {
            a00 = a01 = a02 = a03 = a10 = a11 = a12 = a13 = a20 = a21 = a22 = a23 = default;
            a30 = a31 = a32 = a33 = a40 = a41 = a42 = a43 = a50 = a51 = a52 = a53 = default;
        }
        else
        {
            (a00, a01, a02, a03) = Load4(y);
            (a10, a11, a12, a13) = Load4(y + Math.Min(1, count - 1) * (long)output);
            (a20, a21, a22, a23) = Load4(y + Math.Min(2, count - 1) * (long)output);
            (a30, a31, a32, a33) = Load4(y + Math.Min(3, count - 1) * (long)output);
            (a40, a41, a42, a43) = Load4(y + Math.Min(4, count - 1) * (long)output);
            (a50, a51, a52, a53) = Load4(y + Math.Min(5, count - 1) * (long)output);
        }
        var wi = tile;
        for (int i = 0; i < depth; i++, wi += tileStride)
        {
            if (ahead != null)
                PrefetchTileRow(ahead + (long)i * tileStride);
            var w0 = Vector512.Load(wi);
            var w1 = Vector512.Load(wi + Lanes);
            var w2 = Vector512.Load(wi + 2 * Lanes);
            var w3 = Vector512.Load(wi + 3 * Lanes);
            var b = Vector512.Create(x0[i]);
            a00 = Vector512.FusedMultiplyAdd(w0, b, a00);
            a01 = Vector512.FusedMultiplyAdd(w1, b, a01);
            a02 = Vector512.FusedMultiplyAdd(w2, b, a02);
            a03 = Vector512.FusedMultiplyAdd(w3, b, a03);
            b = Vector512.Create(x1[i]);
            a10 = Vector512.FusedMultiplyAdd(w0, b, a10);
            a11 = Vector512.FusedMultiplyAdd(w1, b, a11);
            a12 = Vector512.FusedMultiplyAdd(w2, b, a12);
            a13 = Vector512.FusedMultiplyAdd(w3, b, a13);
            b = Vector512.Create(x2[i]);
            a20 = Vector512.FusedMultiplyAdd(w0, b, a20);
            a21 = Vector512.FusedMultiplyAdd(w1, b, a21);
            a22 = Vector512.FusedMultiplyAdd(w2, b, a22);
            a23 = Vector512.FusedMultiplyAdd(w3, b, a23);
            b = Vector512.Create(x3[i]);
            a30 = Vector512.FusedMultiplyAdd(w0, b, a30);
            a31 = Vector512.FusedMultiplyAdd(w1, b, a31);
            a32 = Vector512.FusedMultiplyAdd(w2, b, a32);
            a33 = Vector512.FusedMultiplyAdd(w3, b, a33);
            b = Vector512.Create(x4[i]);
            a40 = Vector512.FusedMultiplyAdd(w0, b, a40);
            a41 = Vector512.FusedMultiplyAdd(w1, b, a41);
            a42 = Vector512.FusedMultiplyAdd(w2, b, a42);
            a43 = Vector512.FusedMultiplyAdd(w3, b, a43);
            b = Vector512.Create(x5[i]);
            a50 = Vector512.FusedMultiplyAdd(w0, b, a50);
            a51 = Vector512.FusedMultiplyAdd(w1, b, a51);
            a52 = Vector512.FusedMultiplyAdd(w2, b, a52);
            a53 = Vector512.FusedMultiplyAdd(w3, b, a53);
        }
        Store4(y, a00, a01, a02, a03);
        if (count > 1)
            Store4(y + output, a10, a11, a12, a13);
        if (count > 2)
            Store4(y + 2L * output, a20, a21, a22, a23);
        if (count > 3)
            Store4(y + 3L * output, a30, a31, a32, a33);
        if (count > 4)
            Store4(y + 4L * output, a40, a41, a42, a43);
        if (count > 5)
            Store4(y + 5L * output, a50, a51, a52, a53);
    }

    /// <summary><see cref="SixRows"/> for a tile of 16 columns.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void SixRowsNarrow(
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
        Vector512<float> a0 = default,
            a1 = default,
            a2 = default,
            a3 = default,
            a4 = default,
            a5 = default;
        if (!first)
        {
            a0 = Vector512.Load(y);
            a1 = Vector512.Load(y + Math.Min(1, count - 1) * (long)output);
            a2 = Vector512.Load(y + Math.Min(2, count - 1) * (long)output);
            a3 = Vector512.Load(y + Math.Min(3, count - 1) * (long)output);
            a4 = Vector512.Load(y + Math.Min(4, count - 1) * (long)output);
            a5 = Vector512.Load(y + Math.Min(5, count - 1) * (long)output);
        }
        var wi = tile;
        for (int i = 0; i < depth; i++, wi += tileStride)
        {
            if (ahead != null)
                Sse.Prefetch1(ahead + (long)i * tileStride);
            var v = Vector512.Load(wi);
            a0 = Vector512.FusedMultiplyAdd(v, Vector512.Create(x0[i]), a0);
            a1 = Vector512.FusedMultiplyAdd(v, Vector512.Create(x1[i]), a1);
            a2 = Vector512.FusedMultiplyAdd(v, Vector512.Create(x2[i]), a2);
            a3 = Vector512.FusedMultiplyAdd(v, Vector512.Create(x3[i]), a3);
            a4 = Vector512.FusedMultiplyAdd(v, Vector512.Create(x4[i]), a4);
            a5 = Vector512.FusedMultiplyAdd(v, Vector512.Create(x5[i]), a5);
        }
        a0.Store(y);
        if (count > 1)
            a1.Store(y + output);
        if (count > 2)
            a2.Store(y + 2L * output);
        if (count > 3)
            a3.Store(y + 3L * output);
        if (count > 4)
            a4.Store(y + 4L * output);
        if (count > 5)
            a5.Store(y + 5L * output);
    }

    /// <summary>Fetches one 64-float row of a tile (four cache lines) into L2.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static void PrefetchTileRow(float* row)
    {
        Sse.Prefetch1(row);
        Sse.Prefetch1(row + Lanes);
        Sse.Prefetch1(row + 2 * Lanes);
        Sse.Prefetch1(row + 3 * Lanes);
    }

    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    private static (Vector512<float>, Vector512<float>, Vector512<float>, Vector512<float>) Load4(float* at) =>
        (Vector512.Load(at), Vector512.Load(at + Lanes), Vector512.Load(at + 2 * Lanes), Vector512.Load(at + 3 * Lanes));

    private static void Store4(float* at, Vector512<float> a, Vector512<float> b, Vector512<float> c, Vector512<float> d)
    {
        a.Store(at);
        b.Store(at + Lanes);
        c.Store(at + 2 * Lanes);
        d.Store(at + 3 * Lanes);
    }
}

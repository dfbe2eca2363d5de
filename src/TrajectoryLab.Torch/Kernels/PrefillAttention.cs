// Causal attention of a pass of several new positions (a prefill, a teacher-forced pass, a chunk after a cached prefix)
// in one C# pass over memory. Query i of the pass sits at position offset + i (offset = keys − positions) and attends to
// keys 0 … offset + i of its key–value head (grouped-query: query head h reads key–value head h / (heads / kv_heads)).
// Keys are first packed transposed, [d_head, keys] per (row, key–value head), so that a block of six queries × 32 keys
// is twelve 16-lane accumulators fed by one broadcast of a query feature and two loads of key features per step, the
// register tiling of a matrix product (Goto & van de Geijn 2008). Each tile of six queries computes its scores only up to
// its last query's position (the causal triangle costs half the square), takes the max-shifted softmax of each row over
// that row's own keys (the max, then the exponentials and their sum in one pass), and accumulates the weighted values six
// rows × 32 features at a time. It replaces libtorch's scaled_dot_product_attention (flash attention on CPU, whose small
// per-block sgemm calls ran at a third of this machine's product rate) and the transpose-and-copy of its output: the
// result is written as [batch, pos, heads·d_head], the layout the output projection reads.
// The arithmetic of one (row, head, query) does not depend on the thread that runs it, so any thread count gives the same
// bits; the order of the sums is this kernel's own (within float32 rounding of SDPA's).
// References: Vaswani et al. (2017) (scaled dot-product attention); Ainslie et al. (2023), arXiv:2305.13245
// (grouped-query); Milakov & Gimelshein (2018), arXiv:1805.02867 (the max-shifted softmax); Goto & van de Geijn (2008),
// ACM TOMS 34(3) (register blocking).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>A [batch, heads, rows, d_head] operand in memory: its address and the strides (in floats) of its first three
/// axes; the features of a row are contiguous.</summary>
/// <param name="Address">Element [0, 0, 0, 0].</param>
/// <param name="Batch">Stride of the batch axis.</param>
/// <param name="Head">Stride of the head axis.</param>
/// <param name="Row">Stride of the row (position) axis.</param>
internal readonly record struct HeadRows(nint Address, long Batch, long Head, long Row)
{
    /// <summary>Row <paramref name="row"/> of head <paramref name="head"/> in batch row <paramref name="b"/>.</summary>
    public unsafe float* At(int b, int head, int row) => (float*)Address + b * Batch + head * Head + row * Row;
}

/// <summary>The causal attention of a pass of several positions (see the file header).</summary>
internal static unsafe partial class PrefillAttention
{
    private const int Lanes = 16; // floats in a 512-bit vector
    private const int Tile = 6; // queries per unit of work
    private const int KeyBlock = 2 * Lanes; // keys per score block
    private const long PackedFloats = 4 << 20; // the packed keys of one group of pairs: at most 16 MiB (or one pair)

    [ThreadStatic]
    private static float[]? _transposed; // the calling thread's packed keys of one call

    [ThreadStatic]
    private static float[]? _scores; // each thread's Tile rows of scores

    [ThreadStatic]
    private static long _calls;

    /// <summary>Calls made so far from this thread (lets a test see that the kernel, not libtorch's SDPA, ran).</summary>
    public static long Calls => _calls;

    /// <summary>softmax(q·Kᵀ·scale + causal mask)·V for every (row, query head, query).</summary>
    /// <param name="queries">[batch, heads, positions, d_head].</param>
    /// <param name="keys">[batch, kv_heads, keyCount, d_head].</param>
    /// <param name="values">[batch, kv_heads, keyCount, d_head].</param>
    /// <param name="output">[batch, positions, heads·d_head], contiguous.</param>
    /// <param name="batch">Rows.</param>
    /// <param name="heads">Query heads.</param>
    /// <param name="kvHeads">Key–value heads (divides <paramref name="heads"/>).</param>
    /// <param name="headDim">d_head, any width: the weighted sum runs in registers on whole 16-feature slices and one
    /// feature at a time on the rest.</param>
    /// <param name="positions">Queries per row: the pass's new positions.</param>
    /// <param name="keyCount">Keys per row (≥ positions): the cached prefix and the pass.</param>
    /// <param name="scale">The score scale (1/√d_head unless the design sets one).</param>
    /// <param name="threads">Threads sharing the work.</param>
    /// <param name="packedFloats">The most floats of packed keys held at once (a test makes it small to see the same
    /// bits from groups of one pair).</param>
    /// <param name="window">W of a sliding window (a query at key index p sees keys p − W + 1 … p); 0 for none.</param>
    /// <param name="wide">The 512-bit blocks (true) or the 256-bit halves (false); null for this CPU's. A test runs both on
    /// one machine to see the same bits.</param>
    public static void Run(
        HeadRows queries,
        HeadRows keys,
        HeadRows values,
        float* output,
        int batch,
        int heads,
        int kvHeads,
        int headDim,
        int positions,
        int keyCount,
        float scale,
        int threads,
        long packedFloats = PackedFloats,
        int window = 0,
        bool? wide = null
    )
    {
        bool shapes = wide ?? SimdGemm.Wide;
        if (headDim < 1 || heads % kvHeads != 0 || keyCount < positions || positions < 1 || window < 0)
            throw new ArgumentException("PrefillAttention: unsupported shape");
        _calls++;
        int padded = (keyCount + KeyBlock - 1) / KeyBlock * KeyBlock; // packed keys per feature: whole score blocks
        long perHead = (long)headDim * padded;
        // The (row, key–value head) pairs go in groups whose packed keys fit packedFloats (all of them for a prompt of a
        // few thousand tokens at batch 1), so that the copy never grows with the batch the way the cache does.
        int pairs = batch * kvHeads,
            chunk = (int)Math.Clamp(packedFloats / perHead, 1, pairs);
        var transposed = _transposed is { } held && held.LongLength >= chunk * perHead ? held : _transposed = new float[chunk * perHead];
        int parts = Math.Clamp(threads, 1, KernelWorkers.MaxParts),
            tiles = (positions + Tile - 1) / Tile,
            group = heads / kvHeads,
            offset = keyCount - positions;
        fixed (float* packed = transposed)
        {
            nint packedAddress = (nint)packed;
            for (int start = 0; start < pairs; start += chunk)
            {
                int count = Math.Min(chunk, pairs - start),
                    nextPair = -1;
                // 1. Kᵀ of each pair of the group, zero past the last key.
                KernelWorkers.Run(Math.Min(parts, count), _ =>
                {
                    for (int slot; (slot = Interlocked.Increment(ref nextPair)) < count; )
                    {
                        int pair = start + slot;
                        var target = (float*)packedAddress + slot * perHead;
                        PackTransposed(keys, pair / kvHeads, pair % kvHeads, keyCount, headDim, padded, target);
                    }
                });
                // 2. Units of six queries of one (row, query head) of the group, the longest (last) tiles first so that the
                // threads finish together.
                int units = count * group * tiles,
                    nextUnit = -1;
                KernelWorkers.Run(Math.Min(parts, units), _ =>
                {
                    var scores = _scores is { } own && own.Length >= Tile * padded ? own : new float[Tile * Math.Max(padded, 256)];
                    _scores = scores;
                    fixed (float* s = scores)
                        for (int unit; (unit = Interlocked.Increment(ref nextUnit)) < units; )
                        {
                            int tile = tiles - 1 - unit / (count * group),
                                slot = unit % (count * group) / group,
                                pair = start + slot,
                                b = pair / kvHeads,
                                g = pair % kvHeads,
                                h = g * group + unit % group,
                                first = tile * Tile,
                                rows = Math.Min(Tile, positions - first);
                            AttendTile(
                                queries,
                                values,
                                (float*)packedAddress + slot * perHead,
                                padded,
                                b,
                                h,
                                g,
                                first,
                                rows,
                                offset,
                                window,
                                headDim,
                                scale,
                                s,
                                output + ((long)b * positions + first) * heads * headDim + h * headDim,
                                (long)heads * headDim,
                                shapes
                            );
                        }
                });
            }
        }
    }

    /// <summary>Keys 0 … keyCount − 1 of one (row, key–value head) as [d_head, padded]: feature c of key j at c·padded + j,
    /// zero for j ≥ keyCount. Sixteen keys at a time, two 8-lane gathers per feature (a contiguous store of 16 lanes); key by key,
    /// each key's features went to d_head cache lines a row of the packed block apart, and the packing took a sixth of
    /// the attention's time.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first pass: no tier-0 code in a timed prefill
    private static void PackTransposed(HeadRows keys, int b, int g, int keyCount, int headDim, int padded, float* packed)
    {
        var first = keys.At(b, g, 0);
        int j = 0;
        if (Avx2.IsSupported && keys.Row * Lanes < int.MaxValue / sizeof(float))
        {
            var offsets = Vector256<int>.Indices * (int)keys.Row; // key j + i at key j's address + i·Row floats (i < 8)
            long half = Lanes / 2 * keys.Row;
            for (; j + Lanes <= keyCount; j += Lanes)
            {
                var key = first + j * keys.Row;
                for (int c = 0; c < headDim; c++)
                {
                    var target = packed + (long)c * padded + j;
                    Avx2.GatherVector256(key + c, offsets, sizeof(float)).Store(target);
                    Avx2.GatherVector256(key + half + c, offsets, sizeof(float)).Store(target + Lanes / 2);
                }
            }
        }
        for (; j < keyCount; j++)
        {
            var key = first + j * keys.Row;
            for (int c = 0; c < headDim; c++)
                packed[(long)c * padded + j] = key[c];
        }
        for (int c = 0; c < headDim; c++)
            new Span<float>(packed + (long)c * padded + keyCount, padded - keyCount).Clear();
    }

    /// <summary>Queries first … first + rows − 1 of head h in row b: scores, softmax, weighted values.</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first pass: no tier-0 code in a timed prefill
    private static void AttendTile(
        HeadRows queries,
        HeadRows values,
        float* packed,
        int padded,
        int b,
        int h,
        int g,
        int first,
        int rows,
        int offset,
        int window,
        int headDim,
        float scale,
        float* s,
        float* output,
        long outputRow,
        bool wide
    )
    {
        int seen = offset + first + rows; // keys the tile's last query sees
        int blocks = (seen + KeyBlock - 1) / KeyBlock;
        // With a sliding window the tile's first query sees keys from offset + first − W + 1 on: the score blocks before
        // the one holding that key are skipped, and each row's keys before its own window are set to −∞ below.
        int startBlock = window > 0 ? Math.Max(0, offset + first - window + 1) / KeyBlock : 0,
            startKey = startBlock * KeyBlock;
        // A short tile repeats its last query in the spare lanes of the block; those rows are computed and never stored.
        var q = stackalloc float*[Tile];
        for (int r = 0; r < Tile; r++)
            q[r] = queries.At(b, h, first + Math.Min(r, rows - 1));
        var scales = stackalloc float[Tile];
        new Span<float>(scales, Tile).Fill(scale);
        for (int block = startBlock; block < blocks; block++)
            Block(q, packed + block * KeyBlock, padded, headDim, s + block * KeyBlock, padded, Tile, scales, wide);
        var inverse = stackalloc float[Tile];
        for (int r = 0; r < rows; r++)
        {
            int own = offset + first + r + 1; // keys 0 … offset + first + r
            var row = s + (long)r * padded;
            if (window > 0)
            {
                int lo = Math.Max(0, own - window); // the oldest key this query sees
                new Span<float>(row + startKey, lo - startKey).Fill(float.NegativeInfinity); // exp(−∞) = 0: weigh nothing
            }
            inverse[r] = 1 / Exponentials(row + startKey, own - startKey);
            int cleared = (own + Lanes - 1) / Lanes * Lanes; // the last vector's lanes past own are already zero
            if (cleared < seen)
                new Span<float>(row + cleared, seen - cleared).Clear(); // the keys after this query weigh nothing
        }
        for (int r = rows; r < Tile; r++)
            new Span<float>(s + (long)r * padded + startKey, seen - startKey).Clear();
        WeightedValues(
            s + startKey,
            padded,
            seen - startKey,
            values.At(b, g, startKey),
            values.Row,
            headDim,
            inverse,
            rows,
            output,
            outputRow,
            wide
        );
    }

    /// <summary>The softmax numerators of one row in place, in two passes over its <paramref name="keys"/> scores (the
    /// row holds whole 16-lane vectors: the lanes of the last vector past <paramref name="keys"/> are read, then set to
    /// zero): e_j = exp(s_j − max s), and returns Σ e_j. A NaN score gives a NaN e_j and sum, so the whole output row is
    /// NaN (and <see cref="Vector512.Max{T}"/>, IEEE's maximum, makes the max NaN too, and then every e_j). It replaces
    /// four TensorPrimitives calls per row (max, subtract, exp, sum) and four passes over a prefill's rows of about 140
    /// keys: 2.19 against 2.30 ms for the six layers of a 256-token prefill's attention (timing test).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // hot from the first pass: no tier-0 code in a timed prefill
    private static float Exponentials(float* row, int keys)
    {
        int whole = keys / Lanes,
            rest = keys - whole * Lanes;
        // Lanes 0 … rest − 1 of the last vector are scores; the others lie past this row's keys.
        var inside = Vector512.LessThan(Vector512<int>.Indices, Vector512.Create(rest)).AsSingle();
        var negative = Vector512.Create(float.NegativeInfinity);
        var max = negative;
        for (int v = 0; v < whole; v++)
            max = Vector512.Max(max, Vector512.Load(row + v * Lanes));
        if (rest > 0)
            max = Vector512.Max(max, Vector512.ConditionalSelect(inside, Vector512.Load(row + whole * Lanes), negative));
        var half = Vector256.Max(max.GetLower(), max.GetUpper());
        var quarter = Vector128.Max(half.GetLower(), half.GetUpper());
        float top = MathF.Max(MathF.Max(quarter[0], quarter[1]), MathF.Max(quarter[2], quarter[3]));
        var shift = Vector512.Create(top);
        var sum = Vector512<float>.Zero;
        for (int v = 0; v < whole; v++)
        {
            var e = VectorExp.Exp(Vector512.Load(row + v * Lanes) - shift);
            e.Store(row + v * Lanes);
            sum += e;
        }
        if (rest > 0)
        {
            var e = Vector512.ConditionalSelect(inside, VectorExp.Exp(Vector512.Load(row + whole * Lanes) - shift), Vector512<float>.Zero);
            e.Store(row + whole * Lanes);
            sum += e;
        }
        return Vector512.Sum(sum);
    }

    /// <summary>The 6 × 32 block out[r, 0 … 31] = factor_r · Σ_k a_r[k] · B[k, 0 … 31], k &lt; <paramref name="depth"/>:
    /// twelve 16-lane accumulators, each step one broadcast of a_r[k] per row and two loads of B's row k, for the first
    /// <paramref name="rows"/> rows. The scores are this with a = the queries, B = the packed keys (row k = feature k of 32
    /// keys) and factor = the scale; the weighted values with a = the weights, B = 32 features of the values (row k = key
    /// k) and factor = 1/Σ.</summary>
    /// <param name="a">Six rows, each read at 0 … depth − 1.</param>
    /// <param name="b">B's row 0.</param>
    /// <param name="bRow">The stride of B's rows.</param>
    /// <param name="depth">The rows of B summed over.</param>
    /// <param name="output">Row 0 of the block.</param>
    /// <param name="outputRow">The stride of the output's rows.</param>
    /// <param name="rows">The rows stored (the first ones).</param>
    /// <param name="factors">Each row's factor.</param>
    /// <param name="wide">Whether to take 512-bit vectors (else two 256-bit halves, with the same bits).</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void Block(float** a, float* b, long bRow, int depth, float* output, long outputRow, int rows, float* factors, bool wide)
    {
        if (!wide) // AVX2: two halves of 12 accumulators, the same chains (PrefillAttention.Avx2.cs)
        {
            HalfBlock256(a, b, bRow, depth, output, outputRow, rows, factors);
            HalfBlock256(a, b + Lanes, bRow, depth, output + Lanes, outputRow, rows, factors);
            return;
        }
        float* r0 = a[0],
            r1 = a[1],
            r2 = a[2],
            r3 = a[3],
            r4 = a[4],
            r5 = a[5];
        Vector512<float> a00 = default,
            a01 = default,
            a10 = default,
            a11 = default,
            a20 = default,
            a21 = default,
            a30 = default,
            a31 = default,
            a40 = default,
            a41 = default,
            a50 = default,
            a51 = default;
        for (int k = 0; k < depth; k++)
        {
            var row = b + k * bRow;
            Vector512<float> b0 = Vector512.Load(row),
                b1 = Vector512.Load(row + Lanes);
            var x = Vector512.Create(r0[k]);
            a00 = Vector512.FusedMultiplyAdd(x, b0, a00);
            a01 = Vector512.FusedMultiplyAdd(x, b1, a01);
            x = Vector512.Create(r1[k]);
            a10 = Vector512.FusedMultiplyAdd(x, b0, a10);
            a11 = Vector512.FusedMultiplyAdd(x, b1, a11);
            x = Vector512.Create(r2[k]);
            a20 = Vector512.FusedMultiplyAdd(x, b0, a20);
            a21 = Vector512.FusedMultiplyAdd(x, b1, a21);
            x = Vector512.Create(r3[k]);
            a30 = Vector512.FusedMultiplyAdd(x, b0, a30);
            a31 = Vector512.FusedMultiplyAdd(x, b1, a31);
            x = Vector512.Create(r4[k]);
            a40 = Vector512.FusedMultiplyAdd(x, b0, a40);
            a41 = Vector512.FusedMultiplyAdd(x, b1, a41);
            x = Vector512.Create(r5[k]);
            a50 = Vector512.FusedMultiplyAdd(x, b0, a50);
            a51 = Vector512.FusedMultiplyAdd(x, b1, a51);
        }
        Store(output, outputRow, 0, rows, factors, [a00, a10, a20, a30, a40, a50], [a01, a11, a21, a31, a41, a51]);
    }

    /// <summary>output_r = inverse_r · Σ_j w[r, j] · V_j, j &lt; <paramref name="keys"/>, for the first
    /// <paramref name="rows"/> of six weight rows, 32 features at a time (then 16, then one at a time).
    /// <paramref name="w"/> holds the unnormalised weights (row r at r·rowStride, zero past each row's own keys),
    /// <paramref name="v"/> value row 0 of the key–value head (row j at j·valueRow).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void WeightedValues(
        float* w,
        long rowStride,
        int keys,
        float* v,
        long valueRow,
        int headDim,
        float* inverse,
        int rows,
        float* output,
        long outputRow,
        bool wide
    )
    {
        var weights = stackalloc float*[Tile];
        for (int r = 0; r < Tile; r++)
            weights[r] = w + r * rowStride;
        float* w0 = weights[0],
            w1 = weights[1],
            w2 = weights[2],
            w3 = weights[3],
            w4 = weights[4],
            w5 = weights[5];
        int c = 0;
        for (; c + 2 * Lanes <= headDim; c += 2 * Lanes)
            Block(weights, v + c, valueRow, keys, output + c, outputRow, rows, inverse, wide);
        if (c + Lanes <= headDim)
        {
            Vector512<float> a0 = default,
                a1 = default,
                a2 = default,
                a3 = default,
                a4 = default,
                a5 = default;
            for (int j = 0; j < keys; j++)
            {
                var v0 = Vector512.Load(v + j * valueRow + c);
                a0 = Vector512.FusedMultiplyAdd(Vector512.Create(w0[j]), v0, a0);
                a1 = Vector512.FusedMultiplyAdd(Vector512.Create(w1[j]), v0, a1);
                a2 = Vector512.FusedMultiplyAdd(Vector512.Create(w2[j]), v0, a2);
                a3 = Vector512.FusedMultiplyAdd(Vector512.Create(w3[j]), v0, a3);
                a4 = Vector512.FusedMultiplyAdd(Vector512.Create(w4[j]), v0, a4);
                a5 = Vector512.FusedMultiplyAdd(Vector512.Create(w5[j]), v0, a5);
            }
            Store(output, outputRow, c, rows, inverse, [a0, a1, a2, a3, a4, a5], null);
            c += Lanes;
        }
        for (; c < headDim; c++) // the last features of a head whose width is not a multiple of 16: one chain each
        for (int r = 0; r < rows; r++)
        {
            float sum = 0;
            var row = weights[r];
            for (int j = 0; j < keys; j++)
                sum = MathF.FusedMultiplyAdd(row[j], v[j * valueRow + c], sum);
            output[r * outputRow + c] = sum * inverse[r];
        }
    }

    /// <summary>Rows 0 … rows − 1 of the accumulators, each scaled by its 1/Σ, into output row r at features c … (16 or 32
    /// of them).</summary>
    private static void Store(
        float* output,
        long outputRow,
        int c,
        int rows,
        float* inverse,
        ReadOnlySpan<Vector512<float>> low,
        ReadOnlySpan<Vector512<float>> high
    )
    {
        for (int r = 0; r < rows; r++)
        {
            var target = output + r * outputRow + c;
            var factor = Vector512.Create(inverse[r]);
            (low[r] * factor).Store(target);
            if (!high.IsEmpty)
                (high[r] * factor).Store(target + Lanes);
        }
    }
}

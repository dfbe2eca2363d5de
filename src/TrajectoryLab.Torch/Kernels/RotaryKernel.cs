// The rotary embedding of every (row, head, position) of a pass in one C# pass over memory, for inference:
// out = x·cos + swapped(x)·sin on the first R features of each head (swapped pairs i with i ± R/2, the table's sines
// carry the sign), the rest copied. libtorch computes it as four operations over the whole [batch, heads, pos, d_head]
// view (a concatenation for the swapped halves, two products, a sum), each a pass over memory with its own temporary;
// at a 256-token prefill of the stories15M shape they took about 1.4 ms of the pass's 25 (skipping them, interleaved).
// The rounding is libtorch's: each product rounded, then the sum (vector multiplies and adds, never a fused
// multiply-add), so the output has the same bits.
// Reference: Su et al. (2021), arXiv:2104.09864 (rotary position embedding); Hugging Face's rotate_half convention.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>Rotary embedding of a [batch, heads, pos, d_head] tensor on its memory.</summary>
internal static unsafe class RotaryKernel
{
    private const int Lanes = 8; // floats in a 256-bit vector: half of d_head is a multiple of 8 for d_head 16, 48, 64, 80, 128

    [ThreadStatic]
    private static long _calls;

    /// <summary>Calls made so far from this thread (lets a test see that the kernel ran).</summary>
    public static long Calls => _calls;

    /// <summary>The rotated tensor, contiguous, or null where the kernel does not apply (kernels off, not float32 on the CPU,
    /// grad mode on, per-row tables of a padded batch, features not contiguous); then the caller rotates in libtorch.</summary>
    /// <param name="x">[batch, heads, pos, d_head], any strides with contiguous features.</param>
    /// <param name="cos">[pos, R], R even and ≤ d_head.</param>
    /// <param name="sin">[pos, R], the signed sines.</param>
    /// <returns>[batch, heads, pos, d_head], or null.</returns>
    public static Tensor? TryApply(Tensor x, Tensor cos, Tensor sin)
    {
        if (
            !Models.WeightProduct.KernelAllowed
            || x.dtype != ScalarType.Float32
            || cos.dtype != ScalarType.Float32
            || sin.dtype != ScalarType.Float32
            || !x.is_cpu()
            || !cos.is_cpu()
            || !sin.is_cpu()
            || is_grad_enabled()
            || x.dim() != 4
            || cos.dim() != 2
            || !cos.shape.SequenceEqual(sin.shape)
            || cos.shape[0] != x.shape[2]
            || cos.shape[1] % 2 != 0
            || cos.shape[1] > x.shape[3]
            || x.stride(3) != 1
            || x.numel() > int.MaxValue
        )
            return null;
        _calls++;
        var (batch, heads, positions, width) = ((int)x.shape[0], (int)x.shape[1], (int)x.shape[2], (int)x.shape[3]);
        int rotated = (int)cos.shape[1];
        var (cosines, sines) = (cos.contiguous(), sin.contiguous()); // [pos, R] each
        var output = empty([batch, heads, positions, width], ScalarType.Float32); // [batch, heads, pos, d_head]
        nint source = (nint)TensorMemory.Floats(x),
            target = (nint)TensorMemory.Floats(output),
            c = (nint)TensorMemory.Floats(cosines),
            s = (nint)TensorMemory.Floats(sines);
        long strideBatch = x.stride(0),
            strideHead = x.stride(1),
            strideRow = x.stride(2);
        int rows = batch * heads * positions;
        KernelWorkers.RunRanges(rows, rows, 64, (start, end) =>
        {
            for (int r = (int)start; r < end; r++)
            {
                int p = r % positions,
                    h = r / positions % heads,
                    b = r / positions / heads;
                Row(
                    (float*)source + b * strideBatch + h * strideHead + p * strideRow,
                    (float*)target + (long)r * width,
                    width,
                    rotated,
                    (float*)c + (long)p * rotated,
                    (float*)s + (long)p * rotated
                );
            }
        });
        GC.KeepAlive(x);
        GC.KeepAlive(cosines);
        GC.KeepAlive(sines);
        return output;
    }

    /// <summary>One head's row: out_i = x_i·cos_i + x_{i±R/2}·sin_i for i &lt; R, then the unrotated rest (also the
    /// decoding kernel's rotation of its new query and key). <paramref name="output"/> must not overlap x.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static void Row(float* x, float* output, int width, int rotated, float* cos, float* sin)
    {
        int half = rotated / 2,
            i = 0;
        if (Vector256.IsHardwareAccelerated)
            for (; i + Lanes <= half; i += Lanes)
            {
                Vector256<float> low = Vector256.Load(x + i),
                    high = Vector256.Load(x + half + i);
                (low * Vector256.Load(cos + i) + high * Vector256.Load(sin + i)).Store(output + i);
                (high * Vector256.Load(cos + half + i) + low * Vector256.Load(sin + half + i)).Store(output + half + i);
            }
        for (; i < half; i++)
        {
            float low = x[i],
                high = x[half + i];
            output[i] = low * cos[i] + high * sin[i];
            output[half + i] = high * cos[half + i] + low * sin[half + i];
        }
        new ReadOnlySpan<float>(x + rotated, width - rotated).CopyTo(new Span<float>(output + rotated, width - rotated));
    }
}

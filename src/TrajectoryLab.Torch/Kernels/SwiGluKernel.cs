// SwiGLU's hidden activation silu(g) ⊙ u in one C# pass over the gate product's memory, for inference: libtorch makes it
// two operations (silu of the strided gate half into a new tensor, then the product with the strided up half), each a
// pass with its own temporary, and at a 256-token prefill of the stories15M shape they took about 0.5 ms of the 24 ms
// pass (skipping them, interleaved). silu(g) = g / (1 + exp(−g)) as libtorch writes it; the exponential is the
// kernels' float32 one (VectorExp.cs; a scalar MathF.Exp for a rest of fewer than 16 features), not libtorch's Sleef, so
// the result agrees with libtorch's to float32 rounding, not bit for bit.
// Reference: Shazeer (2020), arXiv:2002.05202 (GLU variants); Elfwing et al. (2018), arXiv:1702.03118 (SiLU).
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>silu(gate) ⊙ up of a fused [..., 2·d_mlp] gate product (gate | up) on its memory.</summary>
internal static unsafe class SwiGluKernel
{
    private const int Lanes = 16; // floats in a 512-bit vector

    [ThreadStatic]
    private static long _calls;

    /// <summary>Calls made so far from this thread (lets a test see that the kernel ran).</summary>
    public static long Calls => _calls;

    /// <summary>The hidden activation [..., d_mlp], or null where the kernel does not apply (kernels off, not float32 on
    /// the CPU, grad mode on, not contiguous, a last axis that is not 2·<paramref name="hidden"/>).</summary>
    /// <param name="gateIn">[..., 2·d_mlp]: the gate's d_mlp features, then the up projection's.</param>
    /// <param name="hidden">d_mlp.</param>
    /// <returns>[..., d_mlp], or null.</returns>
    public static Tensor? TryApply(Tensor gateIn, long hidden)
    {
        if (
            !Models.WeightProduct.KernelAllowed
            || gateIn.dtype != ScalarType.Float32
            || !gateIn.is_cpu()
            || is_grad_enabled()
            || gateIn.dim() == 0
            || gateIn.shape[^1] != 2 * hidden
            || !gateIn.is_contiguous()
            || gateIn.numel() > int.MaxValue
        )
            return null;
        _calls++;
        long[] shape = [.. gateIn.shape[..^1], hidden];
        var output = empty(shape, ScalarType.Float32); // [..., d_mlp]
        int width = (int)hidden,
            rows = (int)(gateIn.numel() / (2 * hidden));
        nint source = (nint)TensorMemory.Floats(gateIn),
            target = (nint)TensorMemory.Floats(output);
        KernelWorkers.RunRanges(rows, (long)rows * width, 16384, (start, end) =>
        {
            for (long r = start; r < end; r++)
                Row((float*)source + r * 2 * width, (float*)target + r * width, width);
        });
        GC.KeepAlive(gateIn);
        return output;
    }

    /// <summary>out_i = g_i / (1 + exp(−g_i)) · u_i for one row (g = row[0 … width), u = row[width … 2·width)).</summary>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)] // optimised from the first call: no tier-0 code in a timed pass
    private static void Row(float* row, float* output, int width)
    {
        int i = 0;
        if (SimdGemm.Supported) // with AVX2 alone, each 512-bit operation is two 256-bit ones: the same bits
            for (; i + Lanes <= width; i += Lanes)
            {
                var g = Vector512.Load(row + i);
                (g / (Vector512<float>.One + VectorExp.Exp(-g)) * Vector512.Load(row + width + i)).Store(output + i);
            }
        for (; i < width; i++)
        {
            float g = row[i];
            output[i] = g / (1 + MathF.Exp(-g)) * row[width + i];
        }
    }
}

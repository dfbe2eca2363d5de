// Root-mean-square norm of float32 rows in one C# pass per row, for inference: y = x · (mean(x²) + ε)^(-1/2) · g, with
// g = w (Llama) or 1 + w (Gemma's offset form), rounded in the same steps as RmsNorm's libtorch path (the scaled row, then
// its product with the gain, in float32), so only the mean's summation order differs. It replaces six libtorch calls and
// five temporary tensors per norm, thirteen norms per step of a six-block model: at batch 1 each call costs about as much
// as the arithmetic of a whole row.
// Reference: Zhang & Sennrich (2019), arXiv:1910.07467 (RMSNorm); transformers' LlamaRMSNorm and GemmaRMSNorm.
using TorchSharp;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>RMSNorm of the last axis on the tensor's memory.</summary>
internal static unsafe class RmsNormKernel
{
    [ThreadStatic]
    private static long _calls;

    /// <summary>Calls made so far from this thread (lets a test see that the kernel ran).</summary>
    public static long Calls => _calls;

    /// <summary>The norm of every row of <paramref name="x"/>, or null where the kernel does not apply (kernels off, not
    /// float32 on the CPU, grad mode on, a width that is not the weight's); then the caller computes it in libtorch.</summary>
    /// <param name="x">[..., width]</param>
    /// <param name="w">[width], the gain (or the offset from 1 when <paramref name="offset"/>).</param>
    /// <param name="eps">ε added to the mean square.</param>
    /// <param name="offset">Whether the gain is 1 + w.</param>
    /// <param name="applyGain">False: return the normalised rows before the gain (for a hook to see, as RmsNorm's
    /// hook_normalized does; the caller multiplies by the gain in libtorch, one rounding, the same bits).</param>
    /// <returns>[..., width], or null.</returns>
    public static Tensor? TryApply(Tensor x, Tensor w, float eps, bool offset, bool applyGain = true)
    {
        if (
            !Models.WeightProduct.KernelAllowed
            || x.dtype != ScalarType.Float32
            || w.dtype != ScalarType.Float32
            || !x.is_cpu()
            || !w.is_cpu()
            || w.dim() != 1
            || x.dim() == 0
            || x.shape[^1] != w.shape[0]
            || w.shape[0] == 0
            || w.shape[0] > int.MaxValue
            || is_grad_enabled() // like WeightProduct's kernel: with grad mode on, every step stays in libtorch
        )
            return null;
        _calls++;
        int width = (int)w.shape[0];
        var source = x.contiguous(); // [..., width]
        var gainSource = w.contiguous(); // [width]
        long rows = source.numel() / width;
        var y = empty(x.shape, ScalarType.Float32); // [..., width]
        float* input = TensorMemory.Floats(source),
            output = TensorMemory.Floats(y),
            weights = TensorMemory.Floats(gainSource);
        var gainBuffer = offset ? new float[width] : null;
        fixed (float* shifted = gainBuffer)
        {
            if (offset)
                TensorPrimitives.Add(new ReadOnlySpan<float>(weights, width), 1f, gainBuffer);
            // Rows in contiguous ranges, one per thread where there are enough of them (a prefill); each row's arithmetic is
            // the same whichever thread runs it.
            nint from = (nint)input,
                to = (nint)output,
                g = (nint)(offset ? shifted : weights);
            KernelWorkers.RunRanges(rows, rows * width, 16384, (start, end) =>
            {
                var gains = new ReadOnlySpan<float>((float*)g, width);
                for (long r = start; r < end; r++)
                {
                    var row = new ReadOnlySpan<float>((float*)from + r * width, width);
                    var target = new Span<float>((float*)to + r * width, width);
                    float meanSquare = TensorPrimitives.SumOfSquares(row) / width;
                    float inverse = 1f / MathF.Sqrt(meanSquare + eps);
                    TensorPrimitives.Multiply(row, inverse, target);
                    if (applyGain)
                        TensorPrimitives.Multiply(target, gains, target);
                }
            });
        }
        GC.KeepAlive(source);
        GC.KeepAlive(gainSource);
        GC.KeepAlive(x);
        GC.KeepAlive(w);
        return y;
    }
}

// The greedy choice of every row, argmax over the last axis, on the tensor's memory: one vectorised scan per row
// (TensorPrimitives.IndexOfMax) instead of libtorch's argmax, whose reduction over the last axis is not vectorised
// (perf: 5.6% of a 32-row decoding step of a 32000-token model). Same answer as torch.argmax: the first index of the
// largest value, and the first NaN where a row holds one; the one difference is that +0 counts above −0 here, which
// matters only for a row whose largest logit is a signed zero.
// Reference: System.Numerics.Tensors.TensorPrimitives.IndexOfMax.
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>argmax over the last axis of a [rows, n] CPU tensor.</summary>
internal static unsafe class RowArgmax
{
    /// <summary>The index of each row's largest value ([rows] int64, on the CPU), or null where the kernel does not apply
    /// (kernels off, autograd, not a 2-D float32/float64 CPU tensor); then the caller asks libtorch.</summary>
    /// <param name="x">[rows, n]</param>
    /// <returns>[rows] int64, or null.</returns>
    public static Tensor? TryRows(Tensor x)
    {
        if (
            !Models.WeightProduct.KernelAllowed
            || x.dim() != 2
            || !x.is_cpu()
            || x.shape[1] == 0
            || x.shape[1] > int.MaxValue
            || x.dtype is not (ScalarType.Float32 or ScalarType.Float64)
            || is_grad_enabled() && x.requires_grad
        )
            return null;
        var source = x.contiguous(); // [rows, n]
        long rows = source.shape[0];
        int n = (int)source.shape[1];
        var indices = new long[rows];
        var at = (nint)TensorMemory.Floats(source); // element 0, float or double
        var single = source.dtype == ScalarType.Float32;
        long next = -1;
        // Rows go to whichever thread is free (a batch of 32000-wide rows is a few hundred microseconds on one core).
        KernelWorkers.Run((int)Math.Min(rows, get_num_threads()), _ =>
        {
            for (long r; (r = Interlocked.Increment(ref next)) < rows; )
                indices[r] = single
                    ? TensorPrimitives.IndexOfMax(new ReadOnlySpan<float>((float*)at + r * n, n))
                    : TensorPrimitives.IndexOfMax(new ReadOnlySpan<double>((double*)at + r * n, n));
        });
        GC.KeepAlive(source);
        GC.KeepAlive(x);
        return tensor(indices, [rows], ScalarType.Int64); // [rows]
    }
}

// The residual stream's sum x + branch for inference on the CPU, on the kernel workers. libtorch's add is one fast pass,
// but from 32,768 elements (a 256-token prefill's [1, 256, 288] residual has 73,728) it runs on libtorch's OpenMP team:
// its second thread is woken onto the core where the kernels' worker waits, and the norm kernel right after each add
// found its worker late (instrumented prefill: the caller waited about 50 µs per norm, 12 norms per pass; perf sched
// showed a thread with the process's name, as libtorch's OpenMP threads have, on the worker's core meanwhile). The same
// add on the kernels' own threads leaves that core to them. Below libtorch's grain of 32,768 elements its add runs on the
// calling thread in one native call, cheaper than this kernel's checks (a decoding step's residual is d_model floats per
// row), so those stay with libtorch. IEEE addition rounds the exact sum once, so the bits are libtorch's.
// Reference: He et al. (2016), arXiv:1512.03385 (residual connections); docs/performance.md ("CPU kernels below the
// modules").
using System.Numerics.Tensors;
using static TorchSharp.torch;
using Tensor = TorchSharp.torch.Tensor;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>x + branch of two float32 CPU tensors of one shape, on the kernel workers.</summary>
internal static unsafe class ResidualAdd
{
    [ThreadStatic]
    private static long _calls;

    /// <summary>Calls made so far from this thread (lets a test see that the kernel ran).</summary>
    public static long Calls => _calls;

    /// <summary>Elements below which libtorch adds on the calling thread (at::internal::GRAIN_SIZE).</summary>
    public const long LibTorchGrain = 32_768;

    /// <summary>A new tensor x + branch, or null where the kernel does not apply (kernels off, fewer than
    /// <see cref="LibTorchGrain"/> elements, not float32 on the CPU, grad mode on, shapes that differ, a tensor that is not
    /// contiguous).</summary>
    /// <param name="x">[..., d]</param>
    /// <param name="branch">[..., d], the same shape.</param>
    /// <returns>[..., d], or null.</returns>
    public static Tensor? TryApply(Tensor x, Tensor branch)
    {
        long count = x.numel();
        if (
            !Models.WeightProduct.KernelAllowed
            || count < LibTorchGrain
            || count > int.MaxValue
            || is_grad_enabled()
            || x.dtype != ScalarType.Float32
            || branch.dtype != ScalarType.Float32
            || !x.is_cpu()
            || !branch.is_cpu()
            || !x.shape.AsSpan().SequenceEqual(branch.shape)
            || !x.is_contiguous()
            || !branch.is_contiguous()
        )
            return null;
        _calls++;
        var output = empty_like(x); // [..., d]
        nint a = (nint)TensorMemory.Floats(x),
            b = (nint)TensorMemory.Floats(branch),
            sum = (nint)TensorMemory.Floats(output);
        KernelWorkers.RunRanges(count, count, 16384, (start, end) =>
        {
            int length = (int)(end - start);
            TensorPrimitives.Add(
                new ReadOnlySpan<float>((float*)a + start, length),
                new ReadOnlySpan<float>((float*)b + start, length),
                new Span<float>((float*)sum + start, length)
            );
        });
        GC.KeepAlive(x);
        GC.KeepAlive(branch);
        return output;
    }
}

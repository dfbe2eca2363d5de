// x W for a weight stored [in, out], the one product every projection, MLP and head uses. Three ways, the first that
// applies:
//  1. Inference on a CPU with AVX-512 or AVX2+FMA (grad mode off, float32): the C# kernel SimdGemm on the tensors' memory,
//     spread over the cores. One native call allocates y; no libtorch product runs.
//  2. Few rows otherwise on a CPU: one broadcast matmul over a column-blocked VIEW of W, [k, in, out/k] (as_strided, no
//     copy), because MKL runs a product with few rows on a single thread whatever set_num_threads says, while libtorch
//     spreads the k blocks of a batched product over the cores.
//  3. The plain matmul: on a GPU (one kernel already fills the device), with autograd (the double-VJP of the dynamics
//     code differentiates through it), or for many rows when the kernel is off.
// All three compute the same dot products, so their results agree up to floating-point summation order (tested).
// References: docs/performance.md; the roofline argument in MachineBaselines.cs.
using System.Runtime.CompilerServices;
using TrajectoryLab.Torch.Kernels;
using TrajectoryLab.Torch.Native;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>x W with W stored [in, out].</summary>
internal static class WeightProduct
{
    /// <summary>Rows of x at or below which the blocked product is used; larger products are multi-threaded already.</summary>
    public const long BlockedRows = 64;

    /// <summary>Column blocks of the blocked libtorch product (the cores it spreads over).</summary>
    private const int Blocks = 2;

    /// <summary>False on this thread while <see cref="LibTorchOnly"/> is in force: every product goes to libtorch (the
    /// baseline of the kernel's tests and benchmarks). Per thread, so one test's baseline does not change another's
    /// arithmetic.</summary>
    [ThreadStatic]
    private static bool _libTorchOnly;

    /// <summary>Whether the C# kernels (products, decoding attention, deviation mix) may run on this thread: the CPU has
    /// 512-bit vectors or AVX2 with FMA, the shim's data pointer was found, and no <see cref="LibTorchOnly"/> is in force.</summary>
    public static bool KernelAllowed => !_libTorchOnly && SimdGemm.Supported && TensorMemory.Available;

    /// <summary>The instruction set the kernels run with on this CPU ("AVX-512" or "AVX2+FMA"); null where they do not run.
    /// A benchmark names it: the same code reaches about half the product rate with 256-bit vectors.</summary>
    public static string? KernelInstructionSet =>
        !SimdGemm.Supported ? null
        : SimdGemm.Wide ? "AVX-512"
        : "AVX2+FMA";

    /// <summary>Sends every product made on this thread to libtorch until disposed.</summary>
    public static IDisposable LibTorchOnly() => new LibTorchScope();

    /// <param name="x">[..., in]</param>
    /// <param name="w">[in, out], contiguous.</param>
    /// <returns>[..., out]</returns>
    public static Tensor Apply(Tensor x, Tensor w)
    {
        if (Kernel(x, w) is { } y)
            return y;
        long input = w.shape[0],
            output = w.shape[1],
            rows = x.numel() / input;
        const int k = Blocks;
        if (rows > BlockedRows || output % k != 0 || w.device_type != TorchSharp.DeviceType.CPU || !w.is_contiguous())
            return x.matmul(w);
        long per = output / k;
        var blocks = w.as_strided([k, input, per], [per, output, 1]); // [k, in, out/k], a view of W
        var parts = x.reshape(1, rows, input).matmul(blocks); // [k, rows, out/k]
        var shape = x.shape.ToArray();
        shape[^1] = output;
        return parts.permute(1, 0, 2).reshape(shape); // [..., out]
    }

    /// <summary>x W by <see cref="SimdGemm"/>, or null when the kernel does not apply (see the file header).</summary>
    /// <param name="x">[..., in]</param>
    /// <param name="w">[in, out]</param>
    /// <returns>[..., out], or null.</returns>
    private static unsafe Tensor? Kernel(Tensor x, Tensor w)
    {
        if (!KernelAllowed)
            return null;
        var facts = Facts.GetValue(w, WeightFacts.Of);
        if (!facts.Usable || is_grad_enabled() || x.dtype != ScalarType.Float32 || !x.is_cpu())
            return null;
        var shape = x.shape;
        if (shape.Length == 0 || shape[^1] != facts.Input)
            return null; // libtorch's matmul names the mismatch
        var source = x.contiguous(); // [..., in]
        long rows = source.numel() / facts.Input;
        if (rows > int.MaxValue)
            return null;
        shape[^1] = facts.Output;
        var y = empty(shape, ScalarType.Float32); // [..., out]
        SimdGemm.Multiply(
            TensorMemory.Floats(source),
            facts.Input,
            TensorMemory.Floats(w),
            TensorMemory.Floats(y),
            (int)rows,
            (int)facts.Input,
            (int)facts.Output,
            get_num_threads()
        );
        GC.KeepAlive(source); // the kernel read their memory: not one of them may be finalised before it ends
        GC.KeepAlive(w);
        GC.KeepAlive(x);
        return y;
    }

    /// <summary>What the kernel needs to know of a weight, read once per weight tensor (a moved or cast weight is a new
    /// tensor object, so it gets its own entry). A usable weight's memory is moved to huge pages then (Native/HugePages.cs):
    /// every later step streams it.</summary>
    private static readonly ConditionalWeakTable<Tensor, WeightFacts> Facts = new();

    private sealed record WeightFacts(bool Usable, long Input, long Output)
    {
        public static unsafe WeightFacts Of(Tensor w)
        {
            var usable =
                w.dim() == 2
                && w.dtype == ScalarType.Float32
                && w.device_type == TorchSharp.DeviceType.CPU
                && w.is_contiguous()
                && w.shape[0] <= int.MaxValue
                && w.shape[1] <= int.MaxValue;
            if (!usable)
                return new WeightFacts(false, 0, 0);
            HugePages.Collapse((nint)TensorMemory.Floats(w), w.numel() * sizeof(float));
            GC.KeepAlive(w);
            return new WeightFacts(true, w.shape[0], w.shape[1]);
        }
    }

    private sealed class LibTorchScope : IDisposable
    {
        private readonly bool _previous = _libTorchOnly;

        public LibTorchScope() => _libTorchOnly = true;

        public void Dispose() => _libTorchOnly = _previous;
    }
}

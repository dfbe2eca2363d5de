// The address of a CPU tensor's first element, for the kernels that work on the tensor's memory directly. TorchSharp
// exposes it only through Span properties that make four more native calls and stop at 2 GiB; this asks the shim's
// THSTensor_data once, through a function pointer resolved from the library TorchSharp itself loaded.
// Reference: System.Runtime.InteropServices.NativeLibrary; TorchSharp's Tensor.bytes (the same THSTensor_data).
using System.Runtime.InteropServices;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>Raw addresses of CPU tensors.</summary>
internal static unsafe class TensorMemory
{
    private static readonly delegate* unmanaged<IntPtr, IntPtr> Data = Resolve();

    /// <summary>Whether the shim's THSTensor_data was found (if not, the kernels are off and libtorch computes).</summary>
    public static bool Available => Data != null;

    /// <summary>The address of element 0 of <paramref name="tensor"/> (storage offset included), which must live on the
    /// CPU; the caller reads it with the tensor's own strides.</summary>
    public static float* Floats(Tensor tensor)
    {
        var address = Data(tensor.Handle);
        if (address == IntPtr.Zero)
            CheckForErrors();
        return (float*)address;
    }

    /// <summary>The address of element 0 of an int64 CPU tensor (storage offset included), as <see cref="Floats"/>.</summary>
    public static long* Longs(Tensor tensor) => (long*)Floats(tensor);

    private static delegate* unmanaged<IntPtr, IntPtr> Resolve()
    {
        // The shim is loaded by now (the Tensor type's static constructor loads it); resolving by the TorchSharp
        // assembly finds the same file TorchSharp loaded, wherever the application folder put it.
        _ = TorchSharp.torch.get_num_threads();
        if (
            NativeLibrary.TryLoad("LibTorchSharp", typeof(TorchSharp.torch).Assembly, null, out var library)
            && NativeLibrary.TryGetExport(library, "THSTensor_data", out var export)
        )
            return (delegate* unmanaged<IntPtr, IntPtr>)export;
        return null;
    }
}

// Positioned reads from a checkpoint file that either fill their destination completely or fail with a
// CheckpointException naming the file (and tensor), shared by the safetensors and llama2.c readers. A tensor read from
// a file is refused when it holds a NaN or an infinity: the error names the tensor and the element.
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>Exact reads at an offset: bytes into a span, or a new tensor filled straight from the file.</summary>
internal static class FileReads
{
    /// <summary>Fills <paramref name="destination"/> from byte <paramref name="offset"/> of the file.</summary>
    /// <exception cref="CheckpointException">The read failed or the file ended first; names the file and <paramref
    /// name="tensor"/>.</exception>
    public static void ReadExactly(SafeFileHandle handle, Span<byte> destination, long offset, string filePath, string? tensor)
    {
        var done = 0;
        while (done < destination.Length)
        {
            int n;
            try
            {
                n = RandomAccess.Read(handle, destination[done..], offset + done);
            }
            catch (IOException e)
            {
                throw Failure(filePath, tensor, $"read failed at byte {offset + done} ({e.Message})", e);
            }
            if (n == 0)
                throw Failure(
                    filePath,
                    tensor,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"file ended at byte {offset + done}, {destination.Length - done} bytes short (changed while open?)"
                    ),
                    null
                );
            done += n;
        }
    }

    /// <summary>A new CPU tensor of <paramref name="shape"/> and <paramref name="dtype"/> read from byte
    /// <paramref name="offset"/>; allocated once, filled in place and checked for non-finite values. The caller owns it.</summary>
    /// <exception cref="CheckpointException">The read failed, or an element is NaN or infinite; names the file,
    /// <paramref name="tensor"/> and the element.</exception>
    public static Tensor ReadTensor(SafeFileHandle handle, long offset, long[] shape, ScalarType dtype, string filePath, string tensor)
    {
        var result = empty(shape, dtype); // [shape]
        var stored = dtype.ToSafetensors();
        try
        {
            TensorBytes.Visit(result, (chunk, chunkOffset) =>
            {
                ReadExactly(handle, chunk, offset + chunkOffset, filePath, tensor);
                var bad = NonFiniteScan.FirstNonFinite(chunk, stored);
                if (bad >= 0)
                    throw NonFinite(filePath, tensor, shape, chunkOffset / stored.Size() + bad, NonFiniteScan.Describe(chunk, stored, bad));
            });
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    /// <summary>Streams <paramref name="byteLength"/> bytes of a stored tensor from byte <paramref name="offset"/> through
    /// <paramref name="buffer"/> (whose length is a multiple of 8) and checks every element for NaN and infinity, without
    /// building the tensor: validation in constant memory.</summary>
    /// <exception cref="CheckpointException">The read failed, or an element is non-finite; names the file, the tensor and the
    /// element.</exception>
    public static void CheckFinite(
        SafeFileHandle handle,
        long offset,
        long byteLength,
        SafetensorsDType dtype,
        IReadOnlyList<long> shape,
        string filePath,
        string tensor,
        Span<byte> buffer
    )
    {
        if (dtype is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16 or SafetensorsDType.F64))
            return;
        for (long done = 0; done < byteLength; )
        {
            var chunk = buffer[..(int)Math.Min(buffer.Length, byteLength - done)];
            ReadExactly(handle, chunk, offset + done, filePath, tensor);
            var bad = NonFiniteScan.FirstNonFinite(chunk, dtype);
            if (bad >= 0)
                throw NonFinite(filePath, tensor, shape, done / dtype.Size() + bad, NonFiniteScan.Describe(chunk, dtype, bad));
            done += chunk.Length;
        }
    }

    /// <summary>The error for a non-finite element: names the tensor, the element's index and what it is.</summary>
    public static CheckpointException NonFinite(string filePath, string tensor, IReadOnlyList<long> shape, long flatIndex, string value) =>
        CheckpointException.ForTensor(
            filePath,
            tensor,
            string.Create(
                CultureInfo.InvariantCulture,
                $"element {NonFiniteScan.Index(flatIndex, shape)} (flat index {flatIndex}) is {value}; "
            ) + "a checkpoint with non-finite weights is refused (saved after training diverged, or corrupt)"
        );

    private static CheckpointException Failure(string filePath, string? tensor, string detail, Exception? inner) =>
        tensor is null
            ? new CheckpointException(filePath, null, detail, inner)
            : CheckpointException.ForTensor(filePath, tensor, detail, inner);
}

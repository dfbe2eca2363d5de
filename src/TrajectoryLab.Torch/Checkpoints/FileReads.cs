// Positioned reads from a checkpoint file that either fill their destination completely or fail with a
// CheckpointException naming the file (and tensor), shared by the safetensors and llama2.c readers.
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>Exact reads at an offset: bytes into a span, or a new tensor filled straight from the file.</summary>
internal static class FileReads
{
    /// <summary>Fills <paramref name="destination"/> from byte <paramref name="offset"/> of the file.</summary>
    /// <exception cref="CheckpointException">The read failed or the file ended first; names the file and <paramref name="tensor"/>.</exception>
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
                throw Failure(filePath, tensor, string.Create(CultureInfo.InvariantCulture,
                    $"file ended at byte {offset + done}, {destination.Length - done} bytes short (changed while open?)"), null);
            done += n;
        }
    }

    /// <summary>A new CPU tensor of <paramref name="shape"/> and <paramref name="dtype"/> read from byte
    /// <paramref name="offset"/>; allocated once and filled in place. The caller owns it.</summary>
    /// <exception cref="CheckpointException">The read failed; names the file and <paramref name="tensor"/>.</exception>
    public static Tensor ReadTensor(SafeFileHandle handle, long offset, long[] shape, ScalarType dtype, string filePath, string tensor)
    {
        var result = empty(shape, dtype); // [shape]
        try
        {
            TensorBytes.Visit(result, (chunk, chunkOffset) => ReadExactly(handle, chunk, offset + chunkOffset, filePath, tensor));
            return result;
        }
        catch
        {
            result.Dispose();
            throw;
        }
    }

    private static CheckpointException Failure(string filePath, string? tensor, string detail, Exception? inner) =>
        tensor is null ? new CheckpointException(filePath, null, detail, inner) : CheckpointException.ForTensor(filePath, tensor, detail, inner);
}

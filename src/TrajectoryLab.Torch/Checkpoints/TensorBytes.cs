// Raw byte access to a contiguous CPU tensor in chunks below 2 GiB, the most one Span can hold,
// so reads and writes stream straight between a file and tensor memory with no intermediate copy.
using TorchSharp;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>Visits the bytes of a contiguous CPU tensor chunk by chunk.</summary>
internal static class TensorBytes
{
    /// <summary>Largest chunk handed to a visitor by default, in bytes.</summary>
    public const long DefaultChunkBytes = 1L << 30;

    /// <summary>A visitor of one chunk: its bytes and their offset from the start of the tensor.</summary>
    public delegate void ChunkVisitor(Span<byte> chunk, long byteOffset);

    /// <summary>Calls <paramref name="visit"/> on consecutive chunks covering all bytes of <paramref name="tensor"/>, in order.</summary>
    /// <remarks>The spans point into the tensor's own memory: writing to them writes the tensor.</remarks>
    public static void Visit(Tensor tensor, ChunkVisitor visit, long chunkBytes = DefaultChunkBytes)
    {
        if (tensor.device_type != DeviceType.CPU || !tensor.is_contiguous())
            throw new ArgumentException("tensor bytes need a contiguous CPU tensor", nameof(tensor));
        var elementSize = tensor.ElementSize;
        var total = tensor.numel();
        if (total == 0)
            return;
        if (total * elementSize <= chunkBytes)
        {
            visit(tensor.bytes, 0);
            return;
        }
        var perChunk = Math.Max(1, chunkBytes / elementSize);
        using var flat = tensor.view(-1); // [numel]
        for (long start = 0; start < total; start += perChunk)
        {
            using var part = flat.narrow(0, start, Math.Min(perChunk, total - start)); // [chunk]
            visit(part.bytes, start * elementSize);
        }
    }
}

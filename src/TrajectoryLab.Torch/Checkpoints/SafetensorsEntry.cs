// One tensor as a safetensors header describes it: dtype, shape and its byte range in the data region.
// Reference: https://github.com/huggingface/safetensors (header layout).
namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>A tensor listed in a safetensors header.</summary>
/// <param name="Name">The tensor's name in the header.</param>
/// <param name="DType">Its element type.</param>
/// <param name="Shape">Its dimensions (empty for a scalar).</param>
/// <param name="Begin">First byte, relative to the start of the data region (after the header).</param>
/// <param name="End">One past the last byte, relative to the start of the data region.</param>
public sealed record SafetensorsEntry(string Name, SafetensorsDType DType, long[] Shape, long Begin, long End)
{
    /// <summary>Number of bytes the tensor occupies: <c>End - Begin</c>.</summary>
    public long ByteLength => End - Begin;

    /// <summary>Number of elements: the product of <see cref="Shape"/> (1 for a scalar).</summary>
    public long ElementCount => Shape.Aggregate(1L, (n, d) => n * d);

    /// <summary>The shape written as <c>[a, b]</c>, for messages.</summary>
    public string ShapeText => FormatShape(Shape);

    /// <summary>Writes a shape as <c>[a, b]</c> with invariant digits.</summary>
    public static string FormatShape(IEnumerable<long> shape) =>
        "[" + string.Join(", ", shape.Select(d => d.ToString(System.Globalization.CultureInfo.InvariantCulture))) + "]";
}

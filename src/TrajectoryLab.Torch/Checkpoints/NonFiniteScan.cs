// Finds the first NaN or ±∞ in the raw little-endian bytes of a float tensor by its bit pattern: an IEEE 754 value is
// non-finite exactly when every exponent bit is set (f32 0x7F800000, f16 0x7C00, bf16 0x7F80, f64 0x7FF0…), and it is
// NaN when its mantissa is also nonzero. Works on the bytes as read from a file, so a checkpoint is checked without
// building any tensor, SIMD-wide (Vector<T>) and in constant memory.
// Reference: IEEE 754-2019, section 3.4 (binary interchange formats).
using System.Globalization;
using System.Numerics;
using System.Runtime.InteropServices;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>Locates non-finite values in raw float data.</summary>
public static class NonFiniteScan
{
    /// <summary>Index (in elements) of the first non-finite value in <paramref name="bytes"/>, or −1 when all are finite
    /// or <paramref name="dtype"/> is not a float type (integers and booleans cannot be non-finite).</summary>
    /// <param name="bytes">Whole elements of <paramref name="dtype"/>, little-endian.</param>
    /// <param name="dtype">The element type.</param>
    public static long FirstNonFinite(ReadOnlySpan<byte> bytes, SafetensorsDType dtype) =>
        dtype switch
        {
            SafetensorsDType.F32 => First(MemoryMarshal.Cast<byte, uint>(bytes), 0x7F80_0000u),
            SafetensorsDType.F16 => First(MemoryMarshal.Cast<byte, ushort>(bytes), (ushort)0x7C00),
            SafetensorsDType.BF16 => First(MemoryMarshal.Cast<byte, ushort>(bytes), (ushort)0x7F80),
            SafetensorsDType.F64 => First(MemoryMarshal.Cast<byte, ulong>(bytes), 0x7FF0_0000_0000_0000ul),
            _ => -1,
        };

    /// <summary>"NaN", "+Infinity" or "−Infinity": what element <paramref name="index"/> of <paramref name="bytes"/> is.</summary>
    public static string Describe(ReadOnlySpan<byte> bytes, SafetensorsDType dtype, long index)
    {
        var i = checked((int)index);
        var (isNaN, negative) = dtype switch
        {
            SafetensorsDType.F32 => (
                float.IsNaN(MemoryMarshal.Cast<byte, float>(bytes)[i]),
                MemoryMarshal.Cast<byte, uint>(bytes)[i] >> 31 == 1
            ),
            SafetensorsDType.F64 => (
                double.IsNaN(MemoryMarshal.Cast<byte, double>(bytes)[i]),
                MemoryMarshal.Cast<byte, ulong>(bytes)[i] >> 63 == 1
            ),
            SafetensorsDType.F16 => (
                (MemoryMarshal.Cast<byte, ushort>(bytes)[i] & 0x03FF) != 0,
                MemoryMarshal.Cast<byte, ushort>(bytes)[i] >> 15 == 1
            ),
            SafetensorsDType.BF16 => (
                (MemoryMarshal.Cast<byte, ushort>(bytes)[i] & 0x007F) != 0,
                MemoryMarshal.Cast<byte, ushort>(bytes)[i] >> 15 == 1
            ),
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, "not a float type"),
        };
        return isNaN ? "NaN"
            : negative ? "-Infinity"
            : "+Infinity";
    }

    /// <summary>The multi-index of flat (row-major) element <paramref name="flat"/> in <paramref name="shape"/>, as
    /// <c>[i, j, ...]</c>.</summary>
    public static string Index(long flat, IReadOnlyList<long> shape)
    {
        if (shape.Count == 0)
            return "[]";
        var index = new long[shape.Count];
        for (var d = shape.Count - 1; d >= 0; d--)
        {
            index[d] = shape[d] == 0 ? 0 : flat % shape[d];
            flat = shape[d] == 0 ? 0 : flat / shape[d];
        }
        return "[" + string.Join(", ", index.Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]";
    }

    private static long First<T>(ReadOnlySpan<T> words, T exponent)
        where T : unmanaged, IBinaryInteger<T>
    {
        var i = 0;
        if (Vector.IsHardwareAccelerated && Vector<T>.IsSupported)
        {
            var mask = new Vector<T>(exponent);
            var vectors = MemoryMarshal.Cast<T, Vector<T>>(words);
            for (var v = 0; v < vectors.Length; v++)
            {
                if (Vector.EqualsAny(vectors[v] & mask, mask))
                    break;
                i += Vector<T>.Count;
            }
        }
        for (; i < words.Length; i++)
            if ((words[i] & exponent) == exponent)
                return i;
        return -1;
    }
}

// Element types a safetensors file may hold that TrajectoryLab reads and writes, with their byte sizes.
// Reference: https://github.com/huggingface/safetensors (format description, dtype names).
using System.Collections.Frozen;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>A safetensors element type.</summary>
public enum SafetensorsDType
{
    /// <summary>IEEE 754 single precision.</summary>
    F32,

    /// <summary>IEEE 754 half precision.</summary>
    F16,

    /// <summary>bfloat16: the upper 16 bits of an F32.</summary>
    BF16,

    /// <summary>IEEE 754 double precision.</summary>
    F64,

    /// <summary>Signed 64-bit integer.</summary>
    I64,

    /// <summary>Signed 32-bit integer (codes of text columns in merged sweep tables).</summary>
    I32,

    /// <summary>Unsigned byte (old GPT-2 checkpoints store their causal-mask buffers so).</summary>
    U8,

    /// <summary>Boolean, one byte (newer causal-mask buffers).</summary>
    BOOL,
}

/// <summary>Names and sizes of <see cref="SafetensorsDType"/> values.</summary>
public static class SafetensorsDTypes
{
    private static readonly FrozenDictionary<string, SafetensorsDType> ByName = Enum.GetValues<SafetensorsDType>()
        .ToFrozenDictionary(d => d.ToString(), StringComparer.Ordinal);

    /// <summary>Bytes per element.</summary>
    public static int Size(this SafetensorsDType dtype) =>
        dtype switch
        {
            SafetensorsDType.U8 or SafetensorsDType.BOOL => 1,
            SafetensorsDType.F16 or SafetensorsDType.BF16 => 2,
            SafetensorsDType.F32 or SafetensorsDType.I32 => 4,
            SafetensorsDType.F64 or SafetensorsDType.I64 => 8,
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
        };

    /// <summary>The name written in a safetensors header (<c>F32</c>, <c>BF16</c>, ...).</summary>
    public static string HeaderName(this SafetensorsDType dtype) => dtype.ToString();

    /// <summary>Parses a header dtype name; false for names this project does not support.</summary>
    public static bool TryParse(string name, out SafetensorsDType dtype) => ByName.TryGetValue(name, out dtype);

    /// <summary>The supported names, for error messages.</summary>
    public static string SupportedNames => string.Join(", ", ByName.Keys.Order(StringComparer.Ordinal));
}

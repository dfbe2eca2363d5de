// Maps safetensors element types onto TorchSharp scalar types and back.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>Conversions between <see cref="SafetensorsDType"/> and TorchSharp's <see cref="ScalarType"/>.</summary>
internal static class TorchDTypes
{
    /// <summary>The TorchSharp type that holds a safetensors dtype bit for bit.</summary>
    public static ScalarType ToScalarType(this SafetensorsDType dtype) =>
        dtype switch
        {
            SafetensorsDType.F32 => ScalarType.Float32,
            SafetensorsDType.F16 => ScalarType.Float16,
            SafetensorsDType.BF16 => ScalarType.BFloat16,
            SafetensorsDType.F64 => ScalarType.Float64,
            SafetensorsDType.I64 => ScalarType.Int64,
            SafetensorsDType.I32 => ScalarType.Int32,
            SafetensorsDType.U8 => ScalarType.Byte,
            SafetensorsDType.BOOL => ScalarType.Bool,
            _ => throw new ArgumentOutOfRangeException(nameof(dtype), dtype, null),
        };

    /// <summary>The safetensors dtype for a TorchSharp type; throws for types this project does not store.</summary>
    public static SafetensorsDType ToSafetensors(this ScalarType type) =>
        type switch
        {
            ScalarType.Float32 => SafetensorsDType.F32,
            ScalarType.Float16 => SafetensorsDType.F16,
            ScalarType.BFloat16 => SafetensorsDType.BF16,
            ScalarType.Float64 => SafetensorsDType.F64,
            ScalarType.Int64 => SafetensorsDType.I64,
            ScalarType.Int32 => SafetensorsDType.I32,
            ScalarType.Byte => SafetensorsDType.U8,
            ScalarType.Bool => SafetensorsDType.BOOL,
            _ => throw new NotSupportedException(
                $"TorchSharp type {type} has no safetensors dtype in TrajectoryLab (supported: {SafetensorsDTypes.SupportedNames})"
            ),
        };
}

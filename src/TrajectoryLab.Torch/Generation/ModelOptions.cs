// Where a language model runs and in which precision: "cpu" by default, "cuda" / "cuda:N" when the machine has one.
using System.Text.RegularExpressions;
using TorchSharp;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Generation;

/// <summary>Device and dtype of a <see cref="LanguageModel"/>.</summary>
public sealed partial record ModelOptions
{
    /// <summary><c>cpu</c> (default), <c>cuda</c> or <c>cuda:N</c>.</summary>
    public string Device { get; init; } = "cpu";

    /// <summary>Weights and activations: <c>float32</c> (default), <c>bfloat16</c> or <c>float16</c>.</summary>
    public string DType { get; init; } = "float32";

    /// <summary>Which keys full-attention layers keep (StreamingLLM's sinks and window, <see cref="CachePolicy"/>), or null
    /// (default) for every key.</summary>
    public CachePolicy? Cache { get; init; }

    /// <summary>The TorchSharp device and scalar type these options name.</summary>
    /// <exception cref="ArgumentException">An unknown device or dtype name.</exception>
    /// <exception cref="InvalidOperationException">CUDA was asked for and libtorch sees no CUDA device (or not that many).</exception>
    internal (Device Device, ScalarType DType) Resolve()
    {
        var dtype = DType switch
        {
            "float32" => ScalarType.Float32,
            "bfloat16" => ScalarType.BFloat16,
            "float16" => ScalarType.Float16,
            _ => throw new ArgumentException($"DType '{DType}' is not one of float32, bfloat16, float16", nameof(DType)),
        };
        if (Device == "cpu")
            return (CPU, dtype);
        var match = CudaName().Match(Device);
        if (!match.Success)
            throw new ArgumentException($"Device '{Device}' is not one of cpu, cuda, cuda:N", nameof(Device));
        if (!cuda.is_available())
            throw new InvalidOperationException(
                $"Device '{Device}' was requested but torch.cuda.is_available() is false (TorchSharp-cpu, or no GPU/driver); "
                    + "use Device = \"cpu\""
            );
        var index = match.Groups[1].Success ? int.Parse(match.Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture) : 0;
        if (index >= cuda.device_count())
            throw new InvalidOperationException(
                $"Device '{Device}' was requested but only {cuda.device_count()} CUDA device(s) are visible"
            );
        return (torch.device(DeviceType.CUDA, index), dtype);
    }

    /// <summary>Why <paramref name="device"/> cannot be used on this machine (an unknown name, or CUDA that libtorch does not
    /// see), or null when it can: for an experiment's preflight check, before any work starts.</summary>
    /// <param name="device"><c>cpu</c>, <c>cuda</c> or <c>cuda:N</c>.</param>
    public static string? DeviceProblem(string device)
    {
        try
        {
            _ = new ModelOptions { Device = device }.Resolve();
            return null;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return e.Message;
        }
    }

    [GeneratedRegex(@"^cuda(?::(\d+))?$")]
    private static partial Regex CudaName();
}

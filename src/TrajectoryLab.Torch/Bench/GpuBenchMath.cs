// The arithmetic of the GPU benchmark's bounds, kept pure so that it is unit-tested: the parameter count of a Llama
// spec, the bytes of weights a decoding step streams, its matmul FLOPs per token, and a measured time read against the
// bandwidth limit (roofline: a step cannot be faster than its bytes / peak bandwidth).
// Reference: Williams, Waterman, Patterson (2009), "Roofline: an insightful visual performance model".
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Bench;

/// <summary>Bytes, FLOPs and bandwidth fractions of a decoding step.</summary>
public static class GpuBenchMath
{
    /// <summary>Parameters of a Llama-family spec without biases: embedding, per block q/k/v/o, the SwiGLU MLP and two
    /// norms, the final norm, and an untied head.</summary>
    /// <param name="spec">A Llama-family spec.</param>
    public static long LlamaParameters(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        long d = spec.HiddenSize,
            q = (long)spec.NumHeads * spec.HeadDim,
            kv = (long)spec.NumKvHeads * spec.HeadDim;
        long attention = d * q + 2 * d * kv + q * d;
        long mlp = 3 * d * spec.IntermediateSize;
        long embedding = (long)spec.VocabSize * d;
        return embedding + spec.NumLayers * (attention + mlp + 2 * d) + d + (spec.TieWordEmbeddings ? 0 : embedding);
    }

    /// <summary>Parameters a decoding step reads in full: all of them except an untied embedding table, of which only the
    /// batch's rows are gathered (a tied table is read whole as the head).</summary>
    /// <param name="parameters">The model's parameter count.</param>
    /// <param name="spec">Its spec.</param>
    public static long StreamedParameters(long parameters, ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        return parameters - (spec.TieWordEmbeddings ? 0 : (long)spec.VocabSize * spec.HiddenSize);
    }

    /// <summary>Bytes per element of a dtype name: float32 → 4, bfloat16 and float16 → 2.</summary>
    /// <param name="dtype"><c>float32</c>, <c>bfloat16</c> or <c>float16</c>.</param>
    /// <exception cref="ArgumentException">Another name.</exception>
    public static int ElementBytes(string dtype) =>
        dtype switch
        {
            "float32" => 4,
            "bfloat16" or "float16" => 2,
            _ => throw new ArgumentException($"dtype '{dtype}' is not one of float32, bfloat16, float16", nameof(dtype)),
        };

    /// <summary>Fraction of the bandwidth limit reached: (bytes streamed per step / seconds per step) / peak bytes per second.</summary>
    /// <param name="bytesPerStep">Weight bytes one step must read.</param>
    /// <param name="secondsPerStep">Measured seconds per step.</param>
    /// <param name="peakBytesPerSecond">The device's peak memory bandwidth.</param>
    public static double BandwidthFraction(double bytesPerStep, double secondsPerStep, double peakBytesPerSecond) =>
        bytesPerStep / secondsPerStep / peakBytesPerSecond;

    /// <summary>Milliseconds a step needs at least to stream <paramref name="bytesPerStep"/> at <paramref
    /// name="peakBytesPerSecond"/>.</summary>
    /// <param name="bytesPerStep">Weight bytes one step must read.</param>
    /// <param name="peakBytesPerSecond">Peak memory bandwidth.</param>
    public static double BandwidthFloorMilliseconds(double bytesPerStep, double peakBytesPerSecond) =>
        bytesPerStep / peakBytesPerSecond * 1e3;

    /// <summary>Milliseconds a step of <paramref name="batch"/> tokens needs at least at <paramref name="peakFlops"/>
    /// (2 FLOPs per streamed parameter per token).</summary>
    /// <param name="streamedParameters">Parameters read per step.</param>
    /// <param name="batch">Tokens per step.</param>
    /// <param name="peakFlops">Peak FLOP/s of the dtype's matmuls.</param>
    public static double ArithmeticFloorMilliseconds(long streamedParameters, int batch, double peakFlops) =>
        2.0 * streamedParameters * batch / peakFlops * 1e3;
}

// Counter-based per-trajectory random streams: the uniform a row uses at step t depends only on (seed, stream id, t),
// so rows sharing a stream id share every draw (a perturbed copy of a trajectory shares its reference's randomness)
// whatever the batch layout. SplitMix64 (Steele, Lea, Flood 2014, "Fast splittable pseudorandom number generators").

namespace TrajectoryLab.Torch.Sampling;

/// <summary>Uniform draws of seeded, independent streams.</summary>
internal static class RandomStreams
{
    private const ulong Gamma = 0x9E3779B97F4A7C15; // SplitMix64's increment (2^64 / golden ratio, odd)

    /// <summary>The seed of stream <paramref name="streamId"/> under <paramref name="seed"/>: mix(seed ⊕ mix(streamId + γ)).</summary>
    public static ulong StreamSeed(long seed, long streamId) => Mix((ulong)seed ^ Mix((ulong)streamId + Gamma));

    /// <summary>The stream's draw at <paramref name="step"/>: the (step + 1)-th SplitMix64 output from the stream seed,
    /// top 53 bits scaled to [0, 1).</summary>
    public static double Uniform(long seed, long streamId, long step) =>
        (Mix(StreamSeed(seed, streamId) + (ulong)(step + 1) * Gamma) >> 11) * (1.0 / (1UL << 53));

    /// <summary>The draws at <paramref name="step"/> of each row's stream.</summary>
    public static double[] Uniforms(long seed, IReadOnlyList<long> streamIds, long step)
    {
        var u = new double[streamIds.Count];
        for (var i = 0; i < u.Length; i++)
            u[i] = Uniform(seed, streamIds[i], step);
        return u;
    }

    /// <summary>SplitMix64's output function (a bijection of 64-bit words).</summary>
    private static ulong Mix(ulong z)
    {
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EB;
        return z ^ (z >> 31);
    }
}

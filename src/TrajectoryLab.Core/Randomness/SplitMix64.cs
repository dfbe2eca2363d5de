// SplitMix64 (Steele, Lea & Flood 2014, "Fast splittable pseudorandom number generators"): a 64-bit generator whose
// whole state is one ulong, so a checkpoint restores it exactly and runs are identical on every platform. Training
// samples its batches with it and the bootstrap draws its resamples with it.
namespace TrajectoryLab.Core.Randomness;

/// <summary>A tiny deterministic random generator with a one-word state.</summary>
public sealed class SplitMix64(ulong state)
{
    /// <summary>The state; a generator built with it continues the same sequence.</summary>
    public ulong State { get; private set; } = state;

    /// <summary>The next 64 random bits.</summary>
    public ulong Next()
    {
        var z = State += 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>A uniform integer in [0, <paramref name="n"/>) by Lemire's multiply-shift (bias below n / 2⁶⁴).</summary>
    public int NextInt(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        return (int)Math.BigMul(Next(), (ulong)n, out _);
    }

    /// <summary>A uniform integer in [0, <paramref name="n"/>) with no bias at all: Lemire's multiply-shift with rejection
    /// (Lemire 2019, ACM Trans. Model. Comput. Simul. 29(1):3).</summary>
    public int NextIndex(int n)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(n);
        var bound = (ulong)n;
        var high = Math.BigMul(Next(), bound, out var low);
        if (low < bound)
        {
            var threshold = (0 - bound) % bound;
            while (low < threshold)
                high = Math.BigMul(Next(), bound, out low);
        }
        return (int)high;
    }

    /// <summary>A uniform double in [0, 1) from the top 53 bits.</summary>
    public double NextDouble() => (Next() >> 11) * (1.0 / (1UL << 53));
}

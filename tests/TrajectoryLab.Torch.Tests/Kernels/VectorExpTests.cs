// The kernels' float32 exponential against double precision (FsCheck): relative error within 3e-7 wherever e^x is a
// normal float (x from −87 to 88.7), and the special values: NaN stays NaN, e^−∞ = 0, e^+∞ = +∞, overflow to +∞ and
// underflow to 0 beyond the range, e^0 = 1 exactly. A NaN in a softmax row or a SiLU gate must never come out as a number.
// Without AVX-512 the final p·2ⁿ is two products by powers of two: it must round once, as vscalefps does, so that both
// instruction sets give the same bits: p·2ⁿ is exact in double, and its one rounding to float is the reference.
using System.Runtime.Intrinsics;
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Kernels;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed class VectorExpTests
{
    [Property(MaxTest = 300)]
    public void IsWithinThreeTenMillionthsOfTheExactValue(int seed)
    {
        var random = new Random(seed);
        var lanes = new float[16];
        for (int i = 0; i < 16; i++)
            lanes[i] = (float)(-87 + random.NextDouble() * 175.7); // [−87, 88.7]: e^x normal and finite
        var got = VectorExp.Exp(Vector512.Create(lanes));
        for (int i = 0; i < 16; i++)
        {
            double exact = Math.Exp(lanes[i]);
            Assert.True(Math.Abs(got[i] - exact) <= 3e-7 * exact, $"exp({lanes[i]:R}) = {got[i]:R}, exact {exact:R}");
        }
    }

    [Fact]
    public void KeepsTheSpecialValues()
    {
        float[] x =
        [
            float.NaN,
            float.NegativeInfinity,
            float.PositiveInfinity,
            0f,
            89f,
            200f,
            -104f,
            -200f,
            88.5f,
            -88f,
            1f,
            -1f,
            1e-8f,
            -1e-8f,
            10f,
            -10f,
        ];
        var got = VectorExp.Exp(Vector512.Create(x));
        Assert.True(float.IsNaN(got[0]), "NaN");
        Assert.Equal(0f, got[1]);
        Assert.Equal(float.PositiveInfinity, got[2]);
        Assert.Equal(1f, got[3]);
        Assert.Equal(float.PositiveInfinity, got[4]);
        Assert.Equal(float.PositiveInfinity, got[5]);
        Assert.Equal(0f, got[6]);
        Assert.Equal(0f, got[7]);
        Assert.True(Math.Abs(got[8] - Math.Exp(88.5)) <= 3e-7 * Math.Exp(88.5), $"exp(88.5) = {got[8]}"); // n = 128 still finite
        for (int i = 9; i < 16; i++)
            Assert.True(Math.Abs(got[i] - Math.Exp(x[i])) <= 3e-7 * Math.Exp(x[i]), $"exp({x[i]}) = {got[i]}");
    }

    [Property(MaxTest = 300)]
    public void ScalesByAPowerOfTwoWithOneRounding(int seed)
    {
        var random = new Random(seed);
        var p = new float[16];
        var n = new float[16];
        for (int i = 0; i < 16; i++)
        {
            p[i] = (float)(0.5 + 1.5 * random.NextDouble()); // the polynomial's e^r, |r| ≤ ln 2 / 2, lies in [0.7, 1.42]
            n[i] = random.Next(-150, 129); // the reduction's n for x clamped to [−104, 89]
        }
        if (seed % 4 == 0)
            n[0] = -150; // the far end of the subnormals
        var low = VectorExp.ScaleByPowerOfTwo(Vector256.Create(p.AsSpan(0, 8)), Vector256.Create(n.AsSpan(0, 8)));
        var high = VectorExp.ScaleByPowerOfTwo(Vector256.Create(p.AsSpan(8, 8)), Vector256.Create(n.AsSpan(8, 8)));
        float[] got = [.. Enumerable.Range(0, 16).Select(i => i < 8 ? low[i] : high[i - 8])];
        for (int i = 0; i < 16; i++)
        {
            var once = (float)(p[i] * Math.Pow(2, n[i])); // exact in double, rounded once
            Assert.True(
                BitConverter.SingleToInt32Bits(got[i]) == BitConverter.SingleToInt32Bits(once),
                $"{p[i]:R}·2^{n[i]} = {got[i]:R}, rounded once {once:R}"
            );
        }
    }

    /// <summary>The 256-bit exponential (what the 16-lane one runs as without AVX-512) is the 512-bit one lane for lane, bit
    /// for bit, special values and both overflow sides included: on an AVX-512 machine this compares vscalefps with the
    /// two products by powers of two.</summary>
    [Property(MaxTest = 200)]
    public void TheEightLaneFormGivesTheSameBits(int seed)
    {
        var random = new Random(seed);
        var lanes = new float[16];
        for (int i = 0; i < 16; i++)
            lanes[i] = random.Next(8) switch
            {
                0 => float.NaN,
                1 => random.Next(2) == 0 ? float.PositiveInfinity : float.NegativeInfinity,
                _ => (float)(-120 + random.NextDouble() * 240),
            };
        var wide = VectorExp.Exp(Vector512.Create(lanes));
        var low = VectorExp.Exp(Vector256.Create(lanes.AsSpan(0, 8)));
        var high = VectorExp.Exp(Vector256.Create(lanes.AsSpan(8, 8)));
        for (int i = 0; i < 16; i++)
        {
            var narrow = i < 8 ? low[i] : high[i - 8];
            Assert.True(
                BitConverter.SingleToInt32Bits(wide[i]) == BitConverter.SingleToInt32Bits(narrow),
                $"exp({lanes[i]:R}): {wide[i]:R} against {narrow:R}"
            );
        }
    }
}

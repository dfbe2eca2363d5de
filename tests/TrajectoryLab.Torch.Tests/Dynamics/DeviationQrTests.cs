// DeviationQr (Householder in SIMD spans; Factor with Q, Triangle without) against MathNet's thin QR, an independent
// implementation, on random frames whose vectors differ in size by up to nine orders of magnitude (FsCheck), against a
// frame whose R is known by hand, and on the breakdowns (a zero vector, a non-finite entry) that must give no R⁻¹.
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Dynamics;

namespace TrajectoryLab.Torch.Tests.Dynamics;

public sealed class DeviationQrTests
{
    [Property(MaxTest = 100)]
    public void TriangleMatchesTheThinQrAndItsInverseOrthonormalisesTheFrame(PositiveInt kSeed, PositiveInt dSeed, int seed)
    {
        int k = 1 + kSeed.Get % 12,
            d = k + dSeed.Get % 50;
        var random = new Random(seed);
        var frame = Enumerable
            .Range(0, k)
            .Select(_ =>
            {
                var size = Math.Pow(10, random.NextDouble() * 9 - 6); // 1e-6 … 1e3
                return Enumerable.Range(0, d).Select(_ => size * Gaussian(random)).ToArray();
            })
            .ToArray();
        var (expectedQ, expectedGrowth) = MathNetQr(frame);
        var (growth, inverse) = DeviationQr.Triangle(frame);
        var factor = DeviationQr.Factor(frame);
        Assert.NotNull(inverse);
        Assert.Equal(growth, factor.Growth); // the same reflections
        for (var i = 0; i < k; i++)
        {
            Assert.True(growth[i] > 0);
            Assert.Equal(expectedGrowth[i], growth[i], Math.Abs(expectedGrowth[i]) * 1e-12);
            for (var j = 0; j < i; j++)
                Assert.Equal(0, inverse![i, j]); // exactly upper triangular
        }
        // Q = D R⁻¹ is orthonormal and equals the thin QR's Q (both have R_ii > 0, which makes QR unique).
        for (var a = 0; a < k; a++)
        {
            var qa = Combine(frame, inverse!, a);
            for (var b = 0; b <= a; b++)
            {
                var qb = Combine(frame, inverse!, b);
                Assert.Equal(a == b ? 1 : 0, qa.Zip(qb, (x, y) => x * y).Sum(), 1e-9);
            }
            for (var row = 0; row < d; row++)
            {
                Assert.Equal(expectedQ[a][row], qa[row], 1e-9);
                Assert.Equal(expectedQ[a][row], factor.Q[a][row], 1e-9);
            }
        }
    }

    /// <summary>MathNet's thin QR with R's diagonal made non-negative: Q's columns and R's diagonal.</summary>
    private static (double[][] Q, double[] Growth) MathNetQr(double[][] frame)
    {
        var qr = MathNet
            .Numerics.LinearAlgebra.Matrix<double>.Build.DenseOfColumnArrays(frame)
            .QR(MathNet.Numerics.LinearAlgebra.Factorization.QRMethod.Thin);
        var k = frame.Length;
        var signs = Enumerable.Range(0, k).Select(i => qr.R[i, i] < 0 ? -1.0 : 1.0).ToArray();
        return (
            [.. Enumerable.Range(0, k).Select(i => qr.Q.Column(i).Select(x => x * signs[i]).ToArray())],
            [.. Enumerable.Range(0, k).Select(i => qr.R[i, i] * signs[i])]
        );
    }

    [Fact]
    public void GivesTheTriangleOfAFrameKnownByHand()
    {
        // δ₁ = (0, 3, 0), δ₂ = (0, 1, 2): R = [[3, 1], [0, 2]], R⁻¹ = [[1/3, −1/6], [0, 1/2]].
        var (growth, inverse) = DeviationQr.Triangle([
            [0, 3, 0],
            [0, 1, 2],
        ]);
        Assert.Equal([3.0, 2.0], growth, (x, y) => Math.Abs(x - y) < 1e-15);
        Assert.Equal(1.0 / 3, inverse![0, 0], 1e-15);
        Assert.Equal(-1.0 / 6, inverse[0, 1], 1e-15);
        Assert.Equal(0.5, inverse[1, 1], 1e-15);
        Assert.Equal(0, inverse[1, 0]);
    }

    [Theory]
    [InlineData(0.0)] // a zero vector: its direction is lost
    [InlineData(double.NaN)]
    [InlineData(double.PositiveInfinity)]
    public void ABrokenFrameHasNoInverse(double value)
    {
        double[][] frame =
        [
            [1, 2, 3, 4],
            [value, 0, 0, 0],
            [0, 1, 0, 1],
        ];
        if (value == 0)
            frame[1] = [0, 0, 0, 0];
        var (growth, inverse) = DeviationQr.Triangle(frame);
        Assert.Null(inverse);
        Assert.False(growth[1] > 0 && double.IsFinite(growth[1]));
        Assert.Equal(Math.Sqrt(30), growth[0], 1e-14); // the vector before it is unaffected: ||(1, 2, 3, 4)||
    }

    private static double[] Combine(double[][] frame, double[,] inverse, int column)
    {
        var q = new double[frame[0].Length];
        for (var j = 0; j <= column; j++)
        for (var row = 0; row < q.Length; row++)
            q[row] += frame[j][row] * inverse[j, column];
        return q;
    }

    private static double Gaussian(Random random) =>
        Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble());
}

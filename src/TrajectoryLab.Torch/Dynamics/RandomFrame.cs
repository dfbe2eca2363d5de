// Seeded random orthonormal frames: k directions in R^d from a Gaussian matrix factored by thin QR (Haar-distributed up
// to the signs of R's diagonal; Mezzadri 2007, Notices AMS 54:592). The starting tangents of every dynamics run.
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace TrajectoryLab.Torch.Dynamics;

/// <summary>Random orthonormal directions.</summary>
internal static class RandomFrame
{
    /// <summary>[k][d] orthonormal rows drawn with <paramref name="seed"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">k &lt; 1 or k &gt; d.</exception>
    public static double[][] Orthonormal(int k, int d, long seed)
    {
        if (k < 1 || k > d)
            throw new ArgumentOutOfRangeException(nameof(k), $"need 1 ≤ k ≤ d, got k = {k}, d = {d}");
        var random = new Random(unchecked((int)(seed ^ (seed >> 32))));
        var gaussian = Matrix<double>.Build.Random(d, k, new Normal(0, 1, random)); // [d, k]
        var q = gaussian.QR(QRMethod.Thin).Q; // [d, k]
        return [.. Enumerable.Range(0, k).Select(i => q.Column(i).ToArray())];
    }
}

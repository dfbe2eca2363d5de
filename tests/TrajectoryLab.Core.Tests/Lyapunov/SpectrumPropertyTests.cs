// FsCheck invariants of the QR spectrum on random linear maps (Oseledets: exponents = ln|eigenvalues|).
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Systems;

namespace TrajectoryLab.Core.Tests.Lyapunov;

/// <summary>A = P D P⁻¹ with P = I + E, ||E||₂ = 0.3 (cond P ≤ 1.3/0.7), and real eigenvalues of distinct magnitude.</summary>
public sealed record DiagonalisableMap(Matrix<double> A, double[] Eigenvalues)
{
    public override string ToString() => $"A = {A.ToMatrixString()} eigenvalues = {Run.Format(Eigenvalues)}";
}

/// <summary>A random square matrix with entries in [−2, 2] and |det| ≥ 1e-3.</summary>
public sealed record RandomMatrix(Matrix<double> A)
{
    public override string ToString() => A.ToMatrixString();
}

public static class LinearMapArbitraries
{
    private static Gen<double[]> Entries(int count) => Gen.Choose(-1000, 1000).ArrayOf(count).Select(a => a.Select(v => v / 1000.0).ToArray());

    public static Arbitrary<DiagonalisableMap> Diagonalisable() =>
        (from d in Gen.Choose(2, 4)
         from magnitudes in Gen.Shuffle(Enumerable.Range(0, 21).ToArray()).Select(a => a.Take(d).OrderDescending().Select(n => 0.5 + 0.05 * n).ToArray())
         from signs in Gen.Elements(-1.0, 1.0).ArrayOf(d)
         from e in Entries(d * d)
         select Build(magnitudes.Zip(signs, (m, s) => m * s).ToArray(), e)).ToArbitrary();

    public static Arbitrary<RandomMatrix> Random() =>
        (from d in Gen.Choose(1, 4)
         from e in Entries(d * d)
         select new RandomMatrix(Matrix<double>.Build.Dense(d, d, e.Select(v => 2 * v).ToArray())))
        .Where(m => Math.Abs(m.A.Determinant()) >= 1e-3).ToArbitrary();

    private static DiagonalisableMap Build(double[] eigenvalues, double[] entries)
    {
        var d = eigenvalues.Length;
        var e = Matrix<double>.Build.Dense(d, d, entries);
        var norm = e.L2Norm();
        var p = Matrix<double>.Build.DenseIdentity(d) + (norm > 0 ? e * (0.3 / norm) : e);
        return new DiagonalisableMap(p * Matrix<double>.Build.DenseOfDiagonalArray(eigenvalues) * p.Inverse(), eigenvalues);
    }
}

[Properties(Arbitrary = [typeof(LinearMapArbitraries)], MaxTest = 25)]
public sealed class SpectrumPropertyTests
{
    // 500 transient + 4000 measured steps: the frame error is O(ln cond P / N) ≈ 2e-4; tolerance 2e-3.
    private const int Steps = 4000;
    private const double Tolerance = 2e-3;

    [Property(DisplayName = "x → Ax: exponents equal ln|eigenvalues| of A = P D P⁻¹ within 2e-3")]
    public Property ExponentsAreLogEigenvalueMagnitudes(DiagonalisableMap map)
    {
        var d = map.Eigenvalues.Length;
        var result = Run.Spectrum(new LinearMap(map.A), d, Steps, transient: 500);
        var expected = map.Eigenvalues.Select(v => Math.Log(Math.Abs(v))).ToArray();
        return result.Exponents.Zip(expected, (a, b) => Math.Abs(a - b) <= Tolerance).All(ok => ok)
            .Label($"measured {Run.Format(result.Exponents)}, expected {Run.Format(expected)}");
    }

    [Property(DisplayName = "Leading exponents do not depend on k (k = 1..d agree within 2·2e-3)")]
    public Property SpectrumIndependentOfK(DiagonalisableMap map)
    {
        var d = map.Eigenvalues.Length;
        var full = Run.Spectrum(new LinearMap(map.A), d, Steps, transient: 500).Exponents;
        return Enumerable.Range(1, d - 1).All(k =>
            {
                var partial = Run.Spectrum(new LinearMap(map.A), k, Steps, transient: 500, seed: k).Exponents;
                return partial.Zip(full, (a, b) => Math.Abs(a - b) <= 2 * Tolerance).All(ok => ok);
            })
            .Label($"full spectrum {Run.Format(full)}");
    }

    [Property(DisplayName = "Σλ = mean ln|det J| (= ln|det A|) within 1e-9 for random linear maps")]
    public Property SumIsLogDeterminant(RandomMatrix matrix)
    {
        // k = d: Σ ln|R_ii| over an interval is ln|det| of the interval's tangent map exactly, whatever the frame.
        var result = Run.Spectrum(new LinearMap(matrix.A), matrix.A.RowCount, steps: 1000, transient: 0);
        var expected = Math.Log(Math.Abs(matrix.A.Determinant()));
        return (Math.Abs(result.Exponents.Sum() - expected) <= 1e-9).Label($"Σλ = {result.Exponents.Sum()}, ln|det A| = {expected}");
    }
}

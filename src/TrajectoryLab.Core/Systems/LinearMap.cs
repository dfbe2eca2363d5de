// The linear map x -> A x: its exponents are the logarithms of the moduli of A's eigenvalues
// (Oseledets 1968), which makes it the exact oracle for the spectrum algorithms.
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Dynamics;

namespace TrajectoryLab.Core.Systems;

/// <summary>The linear map x_{n+1} = A x_n.</summary>
/// <remarks>
/// J = A everywhere. For diagonalisable A the exponents are ln|μ_i| for the eigenvalues μ_i of A, and their sum is
/// ln|det A|. <see cref="Diagonal"/> builds the common special case A = diag(μ).
/// </remarks>
public sealed class LinearMap : DifferentiableMap, IKnownSystem
{
    private readonly Matrix<double> a; // (d, d)

    /// <summary>Creates the map x → A x starting at <paramref name="initialState"/> (default: all ones).</summary>
    /// <exception cref="ArgumentException">A is not square, has a non-finite entry, or the state length differs from its size.</exception>
    public LinearMap(Matrix<double> a, ReadOnlySpan<double> initialState = default)
        : base(initialState.IsEmpty ? Ones(a) : initialState)
    {
        if (a.RowCount != a.ColumnCount)
            throw new ArgumentException("A must be square.", nameof(a));
        if (a.RowCount != Dimension)
            throw new ArgumentException($"The state must have {a.RowCount} components.", nameof(initialState));
        if (!a.ForAll(double.IsFinite))
            throw new ArgumentException("A must be finite.", nameof(a));
        this.a = a.Clone();
    }

    /// <summary>The map x → diag(<paramref name="diagonal"/>) x, starting at all ones.</summary>
    /// <exception cref="ArgumentException">The diagonal is empty or not finite.</exception>
    public static LinearMap Diagonal(params double[] diagonal) => new(Matrix<double>.Build.DenseOfDiagonalArray(diagonal));

    /// <summary>A copy of the matrix A.</summary>
    public Matrix<double> Matrix => a.Clone();

    /// <inheritdoc />
    public override IDynamicalSystem Clone() => new LinearMap(a, State);

    /// <inheritdoc />
    public string Description => $"Linear map x → A x with A = {a.ToMatrixString().Replace('\n', ';').TrimEnd(';', ' ')}.";

    /// <summary>ln|μ_i| of A's eigenvalues, largest first (Oseledets 1968): exact, so the tolerance is 1e-9 for a
    /// diagonal A and 1e-6 otherwise (a non-normal A's QR estimate converges like 1/n).</summary>
    public KnownExponents? Literature
    {
        get
        {
            var exponents = a.Evd().EigenValues.Select(e => Math.Log(e.Magnitude)).OrderDescending().ToArray();
            var diagonal = a.EnumerateIndexed().All(e => e.Item1 == e.Item2 || e.Item3 == 0);
            return new(
                "analytic: ln|μ| of the eigenvalues of A",
                exponents,
                [.. exponents.Select(_ => diagonal ? 1e-9 : 1e-6)],
                double.NaN
            );
        }
    }

    /// <summary>ln|det A|.</summary>
    public double VolumeRate => Math.Log(Math.Abs(a.Determinant()));

    /// <inheritdoc />
    public Projection Projection =>
        Dimension >= 2 ? new("Linear map orbit", 0, 1, "x_0", "x_1") : new("Linear map return plot", 0, -1, "x_n", "x_{n+1}");

    /// <inheritdoc />
    protected override void Map(ReadOnlySpan<double> x, Span<double> y)
    {
        for (var i = 0; i < Dimension; i++)
        {
            var sum = 0.0;
            for (var j = 0; j < Dimension; j++)
                sum += a.At(i, j) * x[j];
            y[i] = sum;
        }
    }

    /// <inheritdoc />
    protected override void Jacobian(ReadOnlySpan<double> x, Matrix<double> j) => a.CopyTo(j);

    private static double[] Ones(Matrix<double> a)
    {
        ArgumentNullException.ThrowIfNull(a);
        return Enumerable.Repeat(1.0, a.RowCount).ToArray();
    }
}

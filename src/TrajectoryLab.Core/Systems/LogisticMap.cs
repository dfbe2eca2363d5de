// The logistic map x -> r x (1 - x) (May 1976, Nature 261:459). Reference exponents (docs/science.md):
// r = 4: ln 2; r = 2.5: ln|2 - r|; r = 3.2: 0.5 ln|4 + 2r - r^2|.
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Dynamics;

namespace TrajectoryLab.Core.Systems;

/// <summary>The logistic map x_{n+1} = r x_n (1 − x_n), a one-dimensional system.</summary>
/// <remarks>Derivative f'(x) = r (1 − 2x); the exponent is the orbit average of ln|f'(x_n)|.</remarks>
public sealed class LogisticMap : DifferentiableMap
{
    /// <summary>Creates the map with growth rate <paramref name="r"/> starting at <paramref name="x0"/>.</summary>
    /// <param name="r">Growth rate; chaotic at r = 4.</param>
    /// <param name="x0">Initial state, default 0.4.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="r"/> or <paramref name="x0"/> is not finite.</exception>
    public LogisticMap(double r, double x0 = 0.4) : base([x0])
    {
        if (!double.IsFinite(r)) throw new ArgumentOutOfRangeException(nameof(r), r, "r must be finite.");
        if (!double.IsFinite(x0)) throw new ArgumentOutOfRangeException(nameof(x0), x0, "x0 must be finite.");
        R = r;
    }

    /// <summary>Growth rate r.</summary>
    public double R { get; }

    /// <inheritdoc />
    public override IDynamicalSystem Clone() => new LogisticMap(R, State[0]);

    /// <inheritdoc />
    protected override void Map(ReadOnlySpan<double> x, Span<double> y) => y[0] = R * x[0] * (1 - x[0]);

    /// <inheritdoc />
    protected override void Jacobian(ReadOnlySpan<double> x, Matrix<double> j) => j[0, 0] = R * (1 - 2 * x[0]);
}

// The logistic map x -> r x (1 - x) (May 1976, Nature 261:459), with its analytic exponents (docs/science.md):
// ln 2 at r = 4; ln|2 - r| on the stable fixed point (1 < r < 3); 0.5 ln|4 + 2r - r^2| on the stable 2-cycle.
using System.Globalization;
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Dynamics;

namespace TrajectoryLab.Core.Systems;

/// <summary>The logistic map x_{n+1} = r x_n (1 − x_n), a one-dimensional system.</summary>
/// <remarks>Derivative f'(x) = r (1 − 2x); the exponent is the orbit average of ln|f'(x_n)|.</remarks>
public sealed class LogisticMap : DifferentiableMap, IKnownSystem
{
    /// <summary>Creates the map with growth rate <paramref name="r"/> starting at <paramref name="x0"/>.</summary>
    /// <param name="r">Growth rate; chaotic at r = 4.</param>
    /// <param name="x0">Initial state, default 0.4.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="r"/> or <paramref name="x0"/> is not finite.</exception>
    public LogisticMap(double r, double x0 = 0.4)
        : base([x0])
    {
        if (!double.IsFinite(r))
            throw new ArgumentOutOfRangeException(nameof(r), r, "r must be finite.");
        if (!double.IsFinite(x0))
            throw new ArgumentOutOfRangeException(nameof(x0), x0, "x0 must be finite.");
        R = r;
    }

    /// <summary>Growth rate r.</summary>
    public double R { get; }

    /// <inheritdoc />
    public string Description => string.Create(CultureInfo.InvariantCulture, $"Logistic map x → r x (1 − x) with r = {R}.");

    /// <summary>The analytic exponent where one is known: r = 4, the stable fixed point (1 &lt; r &lt; 3), the stable
    /// 2-cycle (3 &lt; r &lt; 1 + √6); null elsewhere.</summary>
    public KnownExponents? Literature => Analytic(R);

    /// <summary>NaN: |f'| varies along the orbit.</summary>
    public double VolumeRate => double.NaN;

    /// <inheritdoc />
    public Projection Projection => new("Logistic map return plot", 0, -1, "x_n", "x_{n+1}");

    /// <summary>The analytic exponent of the logistic map at <paramref name="r"/>, or null where none is known.</summary>
    public static KnownExponents? Analytic(double r) =>
        r switch
        {
            4 => new("analytic: ln 2 at r = 4", [Math.Log(2)], [1e-3], double.NaN),
            > 1 and < 3 => new("analytic: ln|2 − r| on the stable fixed point", [Math.Log(Math.Abs(2 - r))], [1e-3], double.NaN),
            > 3 and < 3.449489742783178 => new(
                "analytic: ½ ln|4 + 2r − r²| on the stable 2-cycle",
                [0.5 * Math.Log(Math.Abs(4 + 2 * r - r * r))],
                [1e-3],
                double.NaN
            ),
            _ => null,
        };

    /// <inheritdoc />
    public override IDynamicalSystem Clone() => new LogisticMap(R, State[0]);

    /// <inheritdoc />
    protected override void Map(ReadOnlySpan<double> x, Span<double> y) => y[0] = R * x[0] * (1 - x[0]);

    /// <inheritdoc />
    protected override void Jacobian(ReadOnlySpan<double> x, Matrix<double> j) => j[0, 0] = R * (1 - 2 * x[0]);
}

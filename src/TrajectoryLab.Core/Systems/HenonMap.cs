// The Hénon map (Hénon 1976, Commun. Math. Phys. 50:69-77), with its literature exponents at a = 1.4, b = 0.3
// (Sprott 2003, Appendix A): their sum is ln b exactly, since det J = −b everywhere.
using System.Globalization;
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Dynamics;

namespace TrajectoryLab.Core.Systems;

/// <summary>The Hénon map (x, y) → (1 − a x² + y, b x).</summary>
/// <remarks>Jacobian J = [[−2 a x, 1], [b, 0]], det J = −b everywhere, so λ1 + λ2 = ln|b| exactly.</remarks>
public sealed class HenonMap : DifferentiableMap, IKnownSystem
{
    /// <summary>Creates the map with parameters <paramref name="a"/>, <paramref name="b"/> at state (<paramref name="x0"/>, <paramref
    /// name="y0"/>).</summary>
    /// <param name="a">Default 1.4 (the classical chaotic attractor).</param>
    /// <param name="b">Default 0.3.</param>
    /// <param name="x0">Initial x, default 0.</param>
    /// <param name="y0">Initial y, default 0.</param>
    /// <exception cref="ArgumentOutOfRangeException">A parameter or initial coordinate is not finite.</exception>
    public HenonMap(double a = 1.4, double b = 0.3, double x0 = 0, double y0 = 0)
        : base([x0, y0])
    {
        if (!double.IsFinite(a))
            throw new ArgumentOutOfRangeException(nameof(a), a, "a must be finite.");
        if (!double.IsFinite(b))
            throw new ArgumentOutOfRangeException(nameof(b), b, "b must be finite.");
        if (!double.IsFinite(x0) || !double.IsFinite(y0))
            throw new ArgumentOutOfRangeException(nameof(x0), "The initial state must be finite.");
        A = a;
        B = b;
    }

    /// <summary>Parameter a.</summary>
    public double A { get; }

    /// <summary>Parameter b (the constant Jacobian determinant is −b).</summary>
    public double B { get; }

    /// <inheritdoc />
    public string Description =>
        string.Create(CultureInfo.InvariantCulture, $"Hénon map (x, y) → (1 − a x² + y, b x) with a = {A}, b = {B}.");

    /// <summary>Sprott's values at the classical a = 1.4, b = 0.3; null elsewhere.</summary>
    public KnownExponents? Literature =>
        A == 1.4 && B == 0.3 ? new("Sprott (2003), Hénon a = 1.4, b = 0.3", [0.419217, -1.623190], [0.005, 0.005], 1.258267) : null;

    /// <summary>ln|b|: det J = −b at every point.</summary>
    public double VolumeRate => Math.Log(Math.Abs(B));

    /// <inheritdoc />
    public Projection Projection => new("Hénon attractor", 0, 1, "x", "y");

    /// <inheritdoc />
    public override IDynamicalSystem Clone()
    {
        var s = State;
        return new HenonMap(A, B, s[0], s[1]);
    }

    /// <inheritdoc />
    protected override void Map(ReadOnlySpan<double> x, Span<double> y)
    {
        y[0] = 1 - A * x[0] * x[0] + x[1];
        y[1] = B * x[0];
    }

    /// <inheritdoc />
    protected override void Jacobian(ReadOnlySpan<double> x, Matrix<double> j)
    {
        j[0, 0] = -2 * A * x[0];
        j[0, 1] = 1;
        j[1, 0] = B;
        j[1, 1] = 0;
    }
}

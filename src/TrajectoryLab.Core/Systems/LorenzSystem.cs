// The Lorenz (1963) flow, J. Atmos. Sci. 20:130-141, sampled as the classical fourth-order Runge-Kutta map
// of step dt; tangents follow the variational equations dQ/dt = J(x) Q through the same RK4 stages.
// Its literature exponents at sigma = 10, rho = 28, beta = 8/3 (Sprott 2003, Appendix A); their sum is -(sigma + 1 + beta).
using System.Globalization;
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Dynamics;

namespace TrajectoryLab.Core.Systems;

/// <summary>The Lorenz system ẋ = σ(y − x), ẏ = x(ρ − z) − y, ż = x y − β z, advanced by one RK4 step per <see cref="Step"/>.</summary>
/// <remarks>
/// Jacobian J = [[−σ, σ, 0], [ρ − z, −1, −x], [y, x, −β]], trace −(σ + 1 + β), so the exponents sum to −(σ + 1 + β)
/// per unit time. <see cref="StepWithTangents"/> integrates the augmented system (x, Q) with one RK4 step, i.e. the
/// tangents are evaluated at the same intermediate states as the trajectory (the exact derivative of the RK4 map).
/// </remarks>
public sealed class LorenzSystem : IKnownSystem
{
    private const int D = 3;
    private readonly double[] state = new double[D]; // (x, y, z)
    private double[] y = []; // augmented (x (3,), Q column-major (3·k,)); capacity grows with k
    private double[] k1 = [],
        k2 = [],
        k3 = [],
        k4 = [],
        stage = []; // RK4 stage derivatives and stage point, same capacity as y

    /// <summary>Creates the system.</summary>
    /// <param name="sigma">Prandtl number σ, default 10.</param>
    /// <param name="rho">Rayleigh number ρ, default 28.</param>
    /// <param name="beta">Geometric factor β, default 8/3.</param>
    /// <param name="dt">RK4 step (the <see cref="TimeStep"/>), default 0.01.</param>
    /// <param name="initialState">Initial (x, y, z), default (0, 10, 0).</param>
    /// <exception cref="ArgumentException">A parameter is not finite, dt is not positive, or the state does not have 3
    /// components.</exception>
    public LorenzSystem(
        double sigma = 10,
        double rho = 28,
        double beta = 8.0 / 3.0,
        double dt = 0.01,
        ReadOnlySpan<double> initialState = default
    )
    {
        if (!double.IsFinite(sigma) || !double.IsFinite(rho) || !double.IsFinite(beta))
            throw new ArgumentException("σ, ρ and β must be finite.");
        if (!(dt > 0) || !double.IsFinite(dt))
            throw new ArgumentOutOfRangeException(nameof(dt), dt, "dt must be positive and finite.");
        Sigma = sigma;
        Rho = rho;
        Beta = beta;
        TimeStep = dt;
        SetState(initialState.IsEmpty ? [0.0, 10.0, 0.0] : initialState);
    }

    /// <summary>σ.</summary>
    public double Sigma { get; }

    /// <summary>ρ.</summary>
    public double Rho { get; }

    /// <summary>β.</summary>
    public double Beta { get; }

    /// <inheritdoc />
    public string Description =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"Lorenz flow with σ = {Sigma}, ρ = {Rho}, β = {Beta:G6}, RK4 with dt = {TimeStep} and its variational equations."
        );

    /// <summary>Sprott's values at the classical σ = 10, ρ = 28, β = 8/3; null elsewhere.</summary>
    public KnownExponents? Literature =>
        Sigma == 10 && Rho == 28 && Math.Abs(Beta - 8.0 / 3.0) < 1e-12
            ? new("Sprott (2003), Lorenz σ = 10, ρ = 28, β = 8/3", [0.90563, 0, -14.57219], [0.05, 0.05, 0.2], 2.06215)
            : null;

    /// <summary>−(σ + 1 + β): the trace of J, the same everywhere.</summary>
    public double VolumeRate => -(Sigma + 1 + Beta);

    /// <inheritdoc />
    public Projection Projection => new("Lorenz attractor (x–z projection)", 0, 2, "x", "z");

    /// <inheritdoc />
    public int Dimension => D;

    /// <inheritdoc />
    public double TimeStep { get; }

    /// <inheritdoc />
    public double[] State => (double[])state.Clone();

    /// <inheritdoc />
    public void SetState(ReadOnlySpan<double> value)
    {
        if (value.Length != D)
            throw new ArgumentException($"Expected {D} components, got {value.Length}.", nameof(value));
        value.CopyTo(state);
    }

    /// <inheritdoc />
    public void Step() => Integrate(0);

    /// <inheritdoc />
    public void StepWithTangents(Matrix<double> tangents)
    {
        ArgumentNullException.ThrowIfNull(tangents);
        if (tangents.RowCount != D)
            throw new ArgumentException($"Tangents must have {D} rows, got {tangents.RowCount}.", nameof(tangents));
        var k = tangents.ColumnCount;
        Resize(k); // before loading: Integrate's own Resize is then a no-op and keeps the loaded tangents
        for (var c = 0; c < k; c++)
        for (var r = 0; r < D; r++)
            y[D + c * D + r] = tangents.At(r, c);
        Integrate(k);
        for (var c = 0; c < k; c++)
        for (var r = 0; r < D; r++)
            tangents.At(r, c, y[D + c * D + r]);
    }

    /// <inheritdoc />
    public IDynamicalSystem Clone() => new LorenzSystem(Sigma, Rho, Beta, TimeStep, state);

    /// <summary>One RK4 step of the state and of the k tangent columns already loaded in <see cref="y"/>.</summary>
    private void Integrate(int k)
    {
        Resize(k);
        state.CopyTo(y, 0);
        var n = D * (1 + k);
        var h = TimeStep;
        Derivative(y, k1, k);
        Combine(y, k1, h / 2, stage, n);
        Derivative(stage, k2, k);
        Combine(y, k2, h / 2, stage, n);
        Derivative(stage, k3, k);
        Combine(y, k3, h, stage, n);
        Derivative(stage, k4, k);
        for (var i = 0; i < n; i++)
            y[i] += h / 6 * (k1[i] + 2 * k2[i] + 2 * k3[i] + k4[i]);
        Array.Copy(y, state, D);
    }

    /// <summary>dy/dt for the augmented state: f(x), then J(x)·q for each tangent column q.</summary>
    private void Derivative(double[] at, double[] dydt, int k)
    {
        double x = at[0],
            yy = at[1],
            z = at[2];
        dydt[0] = Sigma * (yy - x);
        dydt[1] = x * (Rho - z) - yy;
        dydt[2] = x * yy - Beta * z;
        for (var c = 0; c < k; c++)
        {
            var o = D + c * D;
            double q0 = at[o],
                q1 = at[o + 1],
                q2 = at[o + 2];
            dydt[o] = Sigma * (q1 - q0);
            dydt[o + 1] = (Rho - z) * q0 - q1 - x * q2;
            dydt[o + 2] = yy * q0 + x * q1 - Beta * q2;
        }
    }

    private static void Combine(double[] a, double[] b, double scale, double[] result, int n)
    {
        for (var i = 0; i < n; i++)
            result[i] = a[i] + scale * b[i];
    }

    private void Resize(int k)
    {
        var n = D * (1 + k);
        if (y.Length >= n)
            return;
        y = new double[n];
        k1 = new double[n];
        k2 = new double[n];
        k3 = new double[n];
        k4 = new double[n];
        stage = new double[n];
    }
}

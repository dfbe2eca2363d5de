// A map x_{n+1} = f(x_n) given together with its Jacobian J(x) = ∂f/∂x: the common base of the explicit
// maps in Core (logistic, Hénon, linear). Tangents are pushed forward as Q ← J(x_n) Q (Benettin et al. 1980).
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Dynamics;

namespace TrajectoryLab.Core.Systems;

/// <summary>
/// An <see cref="IDynamicalSystem"/> defined by a map f and its Jacobian; subclasses supply only the formulas.
/// </summary>
/// <remarks>
/// <see cref="StepWithTangents"/> evaluates J at the current state x_n before stepping, so after the call the
/// state is f(x_n) and the tangents are J(x_n)·Q. <see cref="TimeStep"/> is 1: exponents are per iteration.
/// </remarks>
public abstract class DifferentiableMap : IDynamicalSystem
{
    private readonly double[] state; // x_n (d,)
    private readonly double[] next; // f(x_n) scratch (d,)
    private readonly Matrix<double> jacobian; // J(x_n) (d, d)
    private Matrix<double>? product; // J·Q scratch (d, k), reallocated when k changes

    /// <summary>Creates the map at <paramref name="initialState"/>.</summary>
    /// <exception cref="ArgumentException">The state is empty.</exception>
    protected DifferentiableMap(ReadOnlySpan<double> initialState)
    {
        if (initialState.IsEmpty)
            throw new ArgumentException("The state must have at least one component.", nameof(initialState));
        state = initialState.ToArray();
        next = new double[state.Length];
        jacobian = Matrix<double>.Build.Dense(state.Length, state.Length);
    }

    /// <inheritdoc />
    public int Dimension => state.Length;

    /// <inheritdoc />
    public double TimeStep => 1.0;

    /// <inheritdoc />
    public double[] State => (double[])state.Clone();

    /// <inheritdoc />
    public void SetState(ReadOnlySpan<double> value)
    {
        if (value.Length != state.Length)
            throw new ArgumentException($"Expected {state.Length} components, got {value.Length}.", nameof(value));
        value.CopyTo(state);
    }

    /// <inheritdoc />
    public void Step()
    {
        Map(state, next);
        next.CopyTo(state, 0);
    }

    /// <inheritdoc />
    /// <remarks>Forms J(x_n) densely and multiplies; a map whose Jacobian has structure (a diagonal times a fixed matrix)
    /// overrides this with the same product computed without forming J.</remarks>
    public virtual void StepWithTangents(Matrix<double> tangents)
    {
        ArgumentNullException.ThrowIfNull(tangents);
        if (tangents.RowCount != state.Length)
            throw new ArgumentException($"Tangents must have {state.Length} rows, got {tangents.RowCount}.", nameof(tangents));
        if (product is null || product.ColumnCount != tangents.ColumnCount)
            product = Matrix<double>.Build.Dense(state.Length, tangents.ColumnCount);
        Jacobian(state, jacobian);
        jacobian.Multiply(tangents, product);
        product.CopyTo(tangents);
        Step();
    }

    /// <inheritdoc />
    public abstract IDynamicalSystem Clone();

    /// <summary>Writes f(<paramref name="x"/>) into <paramref name="y"/> (both of length <see cref="Dimension"/>).</summary>
    protected abstract void Map(ReadOnlySpan<double> x, Span<double> y);

    /// <summary>Writes J(<paramref name="x"/>) = ∂f/∂x into <paramref name="j"/> (<see cref="Dimension"/> × <see
    /// cref="Dimension"/>).</summary>
    protected abstract void Jacobian(ReadOnlySpan<double> x, Matrix<double> j);
}

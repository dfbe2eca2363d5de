// The steppable dynamical system that every Lyapunov algorithm in TrajectoryLab measures.
// References: Benettin, Galgani, Giorgilli, Strelcyn (1980), Meccanica 15:9-30;
// DynamicalSystemsBase.jl's "steppable system" (Datseris 2018).
using MathNet.Numerics.LinearAlgebra;

namespace TrajectoryLab.Core.Dynamics;

/// <summary>
/// A deterministic discrete-time system x_{n+1} = f(x_n) with a state vector of fixed dimension.
/// A flow is wrapped as its time-<see cref="TimeStep"/> map (e.g. one RK4 step of the Lorenz system).
/// </summary>
/// <remarks>
/// Known systems (logistic, Hénon, Lorenz, linear maps) implement this interface directly. The Lyapunov
/// algorithms do not use it directly: they are written against the two narrow capabilities
/// <see cref="ITangentDynamics"/> and <see cref="IPerturbedPair"/>, which a state-vector system gets
/// through <c>TangentBundle</c> and <c>StatePair</c>, and which the language model
/// implements itself (its state is the model's state of the generation map, key–value caches or a recurrent state, plus
/// hidden states, and its k tangents ride as one batch).
/// </remarks>
public interface IDynamicalSystem
{
    /// <summary>Dimension of the state (and tangent) space.</summary>
    int Dimension { get; }

    /// <summary>Time advanced by one <see cref="Step"/>: 1 for maps, Δt for a sampled flow. Exponents are per unit time.</summary>
    double TimeStep { get; }

    /// <summary>A copy of the current state, length <see cref="Dimension"/>.</summary>
    double[] State { get; }

    /// <summary>Replaces the current state.</summary>
    void SetState(ReadOnlySpan<double> state);

    /// <summary>Advances the state by one step.</summary>
    void Step();

    /// <summary>
    /// Advances the state by one step and maps each column of <paramref name="tangents"/> (Dimension × k)
    /// through the linearisation at the current state: Q ← J(x_n) Q for a map, the variational equations
    /// integrated over one step for a flow.
    /// </summary>
    void StepWithTangents(Matrix<double> tangents);

    /// <summary>An independent copy with the same parameters and state.</summary>
    IDynamicalSystem Clone();
}

/// <summary>
/// k tangent directions carried along a trajectory and re-orthonormalised on demand
/// (the tangent-space half of Benettin's spectrum algorithm).
/// </summary>
public interface ITangentDynamics
{
    /// <summary>Number of tangent directions carried.</summary>
    int K { get; }

    /// <summary>Time advanced by one <see cref="Step"/>.</summary>
    double TimeStep { get; }

    /// <summary>Advances the reference trajectory one step and maps the tangents through its linearisation.</summary>
    void Step();

    /// <summary>
    /// Re-orthonormalises the tangents (QR, Q replaces them) and returns |R_ii|, i = 0..K-1: the growth of the
    /// i-th Gram–Schmidt direction since the previous call. A zero or non-finite entry is a breakdown, returned as is.
    /// </summary>
    double[] Reorthonormalise();
}

/// <summary>
/// A reference trajectory and a perturbed companion stepped together (Benettin's two-trajectory method).
/// </summary>
public interface IPerturbedPair
{
    /// <summary>Time advanced by one <see cref="Step"/>.</summary>
    double TimeStep { get; }

    /// <summary>Advances both trajectories one step.</summary>
    void Step();

    /// <summary>Current separation ||δ|| between the two trajectories, in the system's norm.</summary>
    double Distance();

    /// <summary>Moves the companion to reference + factor·δ (renormalisation).</summary>
    void Rescale(double factor);
}

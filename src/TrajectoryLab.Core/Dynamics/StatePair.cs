// A reference trajectory and a nearby companion of a state-vector system, for Benettin's two-trajectory
// method (Benettin, Galgani, Strelcyn 1976, Phys. Rev. A 14:2338). Separation is Euclidean.
using MathNet.Numerics.Distributions;

namespace TrajectoryLab.Core.Dynamics;

/// <summary><see cref="IPerturbedPair"/> over two clones of an <see cref="IDynamicalSystem"/>.</summary>
/// <remarks>
/// The companion starts at x + δ0 u, with u a seeded random unit vector and δ0 = ε ||x|| (δ0 = ε when x = 0), so the
/// perturbation is relative to the state norm. <see cref="Rescale"/> moves the companion to x + c (x' − x).
/// </remarks>
public sealed class StatePair : IPerturbedPair
{
    private readonly IDynamicalSystem reference;
    private readonly IDynamicalSystem companion;

    /// <summary>Pairs two clones of <paramref name="system"/> (the argument itself is not advanced).</summary>
    /// <param name="system">The system; its current state is the reference's start.</param>
    /// <param name="epsilon">Relative initial separation, default 1e-8.</param>
    /// <param name="seed">Seed of the random perturbation direction.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="epsilon"/> is not positive and finite.</exception>
    public StatePair(IDynamicalSystem system, double epsilon = 1e-8, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(system);
        if (!(epsilon > 0) || !double.IsFinite(epsilon))
            throw new ArgumentOutOfRangeException(nameof(epsilon), epsilon, "ε must be positive and finite.");
        reference = system.Clone();
        companion = system.Clone();
        var x = reference.State;
        var u = new double[x.Length]; // (d,) random direction
        Normal.Samples(new Random(seed), u, 0, 1);
        var norm = Norm(x);
        var scale = (norm > 0 ? epsilon * norm : epsilon) / Norm(u);
        for (var i = 0; i < x.Length; i++)
            u[i] = x[i] + scale * u[i];
        companion.SetState(u);
    }

    /// <inheritdoc />
    public double TimeStep => reference.TimeStep;

    /// <inheritdoc />
    public void Step()
    {
        reference.Step();
        companion.Step();
    }

    /// <inheritdoc />
    public double Distance()
    {
        double[] x = reference.State,
            xp = companion.State;
        var sum = 0.0;
        for (var i = 0; i < x.Length; i++)
            sum += (xp[i] - x[i]) * (xp[i] - x[i]);
        return Math.Sqrt(sum);
    }

    /// <inheritdoc />
    public void Rescale(double factor)
    {
        double[] x = reference.State,
            xp = companion.State;
        for (var i = 0; i < x.Length; i++)
            xp[i] = x[i] + factor * (xp[i] - x[i]);
        companion.SetState(xp);
    }

    private static double Norm(double[] v) => Math.Sqrt(v.Sum(c => c * c));
}

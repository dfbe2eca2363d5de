// k tangent vectors carried along a trajectory of a state-vector system, re-orthonormalised by QR:
// the tangent-space half of Benettin, Galgani, Giorgilli, Strelcyn (1980), Meccanica 15:21-30.
using MathNet.Numerics.Distributions;
using MathNet.Numerics.LinearAlgebra;
using MathNet.Numerics.LinearAlgebra.Factorization;

namespace TrajectoryLab.Core.Dynamics;

/// <summary>
/// <see cref="ITangentDynamics"/> for an <see cref="IDynamicalSystem"/>: a private clone of the system plus a
/// Dimension × k matrix of tangents, started at a seeded random orthonormal frame.
/// </summary>
/// <remarks>
/// <see cref="Step"/> maps Q ← J(x_n) Q (the system's <see cref="IDynamicalSystem.StepWithTangents"/>).
/// <see cref="Reorthonormalise"/> factors Q = Q' R (thin Householder QR), keeps Q' and returns |R_ii|: the volume of the
/// first i directions grows by ∏_{j≤i} |R_jj| over the interval, so ln|R_ii| / Δt is the i-th local exponent.
/// </remarks>
public sealed class TangentBundle : ITangentDynamics
{
    private readonly IDynamicalSystem system;
    private Matrix<double> tangents; // (Dimension, K), orthonormal columns after each Reorthonormalise

    /// <summary>Carries <paramref name="k"/> tangents along a clone of <paramref name="system"/> (the argument itself is not
    /// advanced).</summary>
    /// <param name="system">The system; its current state is the start of the trajectory.</param>
    /// <param name="k">Number of directions, 1 ≤ k ≤ Dimension.</param>
    /// <param name="seed">Seed of the random orthonormal start frame (Gaussian matrix, then QR).</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="k"/> is outside [1, Dimension].</exception>
    public TangentBundle(IDynamicalSystem system, int k, int seed = 0)
    {
        ArgumentNullException.ThrowIfNull(system);
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(k, system.Dimension);
        this.system = system.Clone();
        var gaussian = Matrix<double>.Build.Random(system.Dimension, k, new Normal(0, 1, new Random(seed)));
        tangents = gaussian.QR(QRMethod.Thin).Q;
    }

    /// <inheritdoc />
    public int K => tangents.ColumnCount;

    /// <inheritdoc />
    public double TimeStep => system.TimeStep;

    /// <summary>A copy of the current state of the reference trajectory.</summary>
    public double[] State => system.State;

    /// <inheritdoc />
    public void Step() => system.StepWithTangents(tangents);

    /// <inheritdoc />
    public double[] Reorthonormalise()
    {
        var qr = tangents.QR(QRMethod.Thin);
        var growth = new double[K]; // (K,)
        for (var i = 0; i < growth.Length; i++)
            growth[i] = Math.Abs(qr.R.At(i, i));
        tangents = qr.Q;
        return growth;
    }
}

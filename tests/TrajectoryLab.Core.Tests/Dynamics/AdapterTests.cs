// TangentBundle and StatePair: the two adapters through which state-vector systems meet the Lyapunov algorithms.
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Systems;

namespace TrajectoryLab.Core.Tests.Dynamics;

public sealed class AdapterTests
{
    [Fact(DisplayName = "TangentBundle on diag(2, 3, 0.5): |R_ii| after one step are the column growths, product = |det| within 1e-12")]
    public void BundleGrowthIsVolumeGrowth()
    {
        var bundle = new TangentBundle(LinearMap.Diagonal(2, 3, 0.5), k: 3, seed: 7);
        bundle.Step();
        var growth = bundle.Reorthonormalise();
        Assert.Equal(3.0, growth.Aggregate(1.0, (a, b) => a * b), 1e-12);
        Assert.All(growth, g => Assert.True(g > 0));
    }

    [Fact(DisplayName = "TangentBundle leaves the caller's system where it was and is deterministic per seed")]
    public void BundleClonesAndIsSeeded()
    {
        var henon = new HenonMap(x0: 0.1, y0: 0.2);
        var a = new TangentBundle(henon, 1, seed: 3);
        var b = new TangentBundle(henon, 1, seed: 3);
        for (var n = 0; n < 5; n++)
        {
            a.Step();
            b.Step();
        }
        Assert.Equal([0.1, 0.2], henon.State);
        Assert.Equal(a.Reorthonormalise(), b.Reorthonormalise());
        Assert.Equal(a.State, b.State);
    }

    [Fact(DisplayName = "StatePair starts at ε·||x|| (ε when x = 0), and Rescale scales the separation, within 1e-9 relative")]
    // (x + δ) − x loses the digits of δ below ulp(||x||) ≈ 1e-15, i.e. 2e-10 relative for ||x|| = 5, δ = 5e-6.
    public void PairSeparation()
    {
        var lorenz = new LorenzSystem(initialState: [3.0, 4.0, 0.0]);
        var pair = new StatePair(lorenz, epsilon: 1e-6, seed: 1);
        Assert.Equal(5e-6, pair.Distance(), 5e-15);
        pair.Rescale(0.5);
        Assert.Equal(2.5e-6, pair.Distance(), 2.5e-15);

        var origin = new StatePair(new LinearMap(Matrix<double>.Build.DenseDiagonal(2, 2, 2.0), [0.0, 0.0]), epsilon: 1e-6);
        Assert.Equal(1e-6, origin.Distance(), 1e-15);
        origin.Step();
        Assert.Equal(2e-6, origin.Distance(), 2e-15);
    }
}

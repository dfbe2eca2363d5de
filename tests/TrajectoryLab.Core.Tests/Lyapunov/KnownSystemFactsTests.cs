// Each known system states its facts: literature exponents only at the parameters they were published for, the exact
// volume rate (Σλ) where the Jacobian determinant is constant, and for linear maps the logarithms of A's eigenvalues.
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Systems;

namespace TrajectoryLab.Core.Tests.Lyapunov;

public sealed class KnownSystemFactsTests
{
    [Fact]
    public void LiteratureValuesBelongToTheirParametersOnly()
    {
        Assert.NotNull(new HenonMap().Literature);
        Assert.Null(new HenonMap(a: 1.3).Literature);
        Assert.NotNull(new LorenzSystem().Literature);
        Assert.Null(new LorenzSystem(rho: 20).Literature);
        Assert.Equal(Math.Log(2), new LogisticMap(4).Literature!.Exponents[0], 1e-15);
        Assert.Equal(Math.Log(0.5), new LogisticMap(2.5).Literature!.Exponents[0], 1e-15);
        Assert.Equal(0.5 * Math.Log(4 + 6.4 - 3.2 * 3.2), new LogisticMap(3.2).Literature!.Exponents[0], 1e-15);
        Assert.Null(new LogisticMap(3.7).Literature);
    }

    [Fact]
    public void VolumeRatesAreTheConstantLogDeterminants()
    {
        Assert.Equal(Math.Log(0.3), new HenonMap().VolumeRate, 1e-15);
        Assert.Equal(Math.Log(0.7), new HenonMap(b: -0.7).VolumeRate, 1e-15);
        Assert.Equal(-(10 + 1 + 8.0 / 3.0), new LorenzSystem().VolumeRate, 1e-12);
        Assert.True(double.IsNaN(new LogisticMap(4).VolumeRate));
        Assert.Equal(Math.Log(1.1 * 0.8), LinearMap.Diagonal(1.1, 0.8).VolumeRate, 1e-15);
    }

    [Fact]
    public void ALinearMapsExponentsAreItsEigenvaluesLogModuli()
    {
        var rotationScaled = new LinearMap(Matrix<double>.Build.DenseOfArray(new[,] { { 0.0, -2.0 }, { 2.0, 0.0 } })); // eigenvalues ±2i
        Assert.Equal([Math.Log(2), Math.Log(2)], rotationScaled.Literature!.Exponents);
        var diagonal = LinearMap.Diagonal(0.8, 1.1).Literature!;
        Assert.Equal(Math.Log(1.1), diagonal.Exponents[0], 1e-15);
        Assert.Equal(Math.Log(0.8), diagonal.Exponents[1], 1e-15);
        Assert.Equal([1e-9, 1e-9], diagonal.Tolerances);
    }
}

// Numerical breakdown is a result (NaN + reason), never an exception; bad arguments are exceptions.
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;

namespace TrajectoryLab.Core.Tests.Lyapunov;

public sealed class BreakdownTests
{
    private static LinearMap Zero() => new(Matrix<double>.Build.Dense(2, 2));

    [Fact(DisplayName = "A = 0: the spectrum is NaN with a reason naming the collapse")]
    public void SpectrumOfZeroMap()
    {
        var result = Run.Spectrum(Zero(), k: 2, steps: 100, transient: 0);
        Assert.False(result.Succeeded);
        Assert.All(result.Exponents, v => Assert.True(double.IsNaN(v)));
        Assert.Contains("collapsed to zero", result.Breakdown);
    }

    [Fact(DisplayName = "A = 0: the two-trajectory exponent is NaN with a reason; so is a transient that collapses")]
    public void MaximalOfZeroMap()
    {
        var measured = Run.Maximal(Zero(), steps: 100, transient: 0);
        Assert.True(double.IsNaN(measured.Exponent));
        Assert.Contains("separation collapsed to zero", measured.Breakdown);
        Assert.Empty(measured.IntervalExponents);

        var inTransient = Run.Maximal(Zero(), steps: 100, transient: 10);
        Assert.Contains("transient", inTransient.Breakdown);
    }

    [Fact(DisplayName = "Overflow to infinity is a breakdown result")]
    public void Overflow()
    {
        var result = Run.Spectrum(LinearMap.Diagonal(1e200, 1), k: 1, steps: 10, transient: 0, qrInterval: 5);
        Assert.False(result.Succeeded);
        Assert.Contains("overflow or NaN", result.Breakdown);
    }

    [Fact(DisplayName = "A breakdown after some intervals keeps the intervals measured so far")]
    public void PartialSeries()
    {
        // A pair written only against IPerturbedPair (as the language model will be): doubles 10 times, then merges exactly.
        var pair = new ScriptedPair(step => step <= 10 ? 2.0 : 0.0);
        var result = MaximalExponent.Compute(pair, new MaximalExponentOptions(Transient: 0, Steps: 100));
        Assert.False(result.Succeeded);
        Assert.Contains("at step 11", result.Breakdown);
        Assert.Equal(10, result.IntervalExponents.Length);
        Assert.All(result.IntervalExponents, v => Assert.Equal(Math.Log(2), v, 1e-12));
        Assert.Equal(10.0, result.Time);
        Assert.Equal(Math.Log(2), result.Convergence[^1].Values[0], 1e-12);
    }

    /// <summary>A separation that is multiplied by growth(step) at each step; Rescale scales it.</summary>
    private sealed class ScriptedPair(Func<int, double> growth) : IPerturbedPair
    {
        private double distance = 1e-6;
        private int steps;

        public double TimeStep => 1;

        public void Step() => distance *= growth(++steps);

        public double Distance() => distance;

        public void Rescale(double factor) => distance *= factor;
    }

    [Fact(DisplayName = "Bad arguments throw")]
    public void BadArguments()
    {
        Assert.Throws<ArgumentOutOfRangeException>(() => new TangentBundle(new HenonMap(), 3));
        Assert.Throws<ArgumentOutOfRangeException>(() => new StatePair(new HenonMap(), 0));
        Assert.Throws<ArgumentOutOfRangeException>(() => Run.Spectrum(new HenonMap(), 2, steps: 5, qrInterval: 10));
        Assert.Throws<ArgumentException>(() => KaplanYorke.Dimension([]));
        Assert.Throws<ArgumentException>(() => FiniteTimeExponents.Compute([1.0, 2.0], new FiniteTimeOptions(Window: 5)));
    }
}

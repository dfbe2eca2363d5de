// Each system's tangent propagation must be the derivative of its step: compare with central finite differences.
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Systems;

namespace TrajectoryLab.Core.Tests.Dynamics;

public sealed class TangentMapTests
{
    public static TheoryData<string> Systems => ["logistic", "henon", "lorenz", "linear", "network"];

    private static IDynamicalSystem Create(string name) => name switch
    {
        "logistic" => new LogisticMap(3.7, 0.3),
        "henon" => new HenonMap(x0: 0.3, y0: 0.1),
        "lorenz" => new LorenzSystem(initialState: [1.0, 2.0, 20.0]),
        "network" => new RandomTanhNetwork(9, 1.8, 3), // 9 units: the blocked product's 4-column blocks, odd rows and tails
        _ => new LinearMap(Matrix<double>.Build.DenseOfArray(new[,] { { 0.5, 2.0 }, { -1.0, 0.3 } }), [0.7, -0.2]),
    };

    [Theory(DisplayName = "StepWithTangents equals the finite-difference Jacobian of Step within 1e-6 (relative)")]
    [MemberData(nameof(Systems))]
    public void TangentsAreTheDerivativeOfTheStep(string name)
    {
        var system = Create(name);
        var d = system.Dimension;
        var x = system.State;
        var tangents = Matrix<double>.Build.DenseIdentity(d);
        var stepped = system.Clone();
        stepped.StepWithTangents(tangents);

        const double h = 1e-6;
        for (var c = 0; c < d; c++)
        {
            var plus = Perturbed(system, x, c, h);
            var minus = Perturbed(system, x, c, -h);
            for (var r = 0; r < d; r++)
            {
                var finite = (plus[r] - minus[r]) / (2 * h);
                Assert.Equal(finite, tangents[r, c], 1e-6 * Math.Max(1, Math.Abs(finite)));
            }
        }
        // StepWithTangents advances the state exactly like Step.
        var plain = system.Clone();
        plain.Step();
        Assert.Equal(plain.State, stepped.State);
    }

    [Theory(DisplayName = "Clone is independent of the original")]
    [MemberData(nameof(Systems))]
    public void CloneIsIndependent(string name)
    {
        var system = Create(name);
        var before = system.State;
        var clone = system.Clone();
        clone.Step();
        Assert.Equal(before, system.State);
        Assert.NotEqual(before, clone.State);
    }

    [Fact(DisplayName = "Wrong state length or tangent shape is a bad argument")]
    public void ShapeChecks()
    {
        Assert.Throws<ArgumentException>(() => new HenonMap().SetState([1.0]));
        Assert.Throws<ArgumentException>(() => new LorenzSystem().StepWithTangents(Matrix<double>.Build.Dense(2, 1)));
        Assert.Throws<ArgumentException>(() => new LinearMap(Matrix<double>.Build.Dense(2, 3)));
    }

    private static double[] Perturbed(IDynamicalSystem system, double[] x, int component, double h)
    {
        var copy = system.Clone();
        var start = (double[])x.Clone();
        start[component] += h;
        copy.SetState(start);
        copy.Step();
        return copy.State;
    }
}

// What logistic-sweep measured: λ(r) on the grid, the attractor's iterates per r, and λ at the points where it is
// known analytically.
namespace TrajectoryLab.Experiments.LogisticSweep;

/// <summary>The sweep over r.</summary>
/// <param name="R">[rCount] the grid.</param>
/// <param name="Lambda">[rCount] λ(r) per iteration; NaN where the tangent collapsed (a superstable orbit).</param>
/// <param name="Breakdowns">How many r values broke down.</param>
/// <param name="Attractor">[rCount][points] iterates after the transient.</param>
/// <param name="Checks">λ measured at r = 2.5, 3.2 and 4 (those inside the range), where it is known analytically.</param>
public sealed record LogisticSweepResult(
    double[] R,
    double[] Lambda,
    int Breakdowns,
    double[][] Attractor,
    IReadOnlyList<ExponentAt> Checks
);

/// <summary>λ measured at one r.</summary>
public sealed record ExponentAt(double R, double Lambda);

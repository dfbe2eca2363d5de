// The one place that turns an experiment file's "system" into a system: every fact about it (literature exponents,
// volume rate, description, projection) then comes from the system itself (IKnownSystem).
using TrajectoryLab.Core.Systems;

namespace TrajectoryLab.Experiments.KnownSystems;

/// <summary>The known systems an experiment file can name.</summary>
public static class KnownSystemCatalogue
{
    /// <summary>The system <paramref name="o"/> names, with its parameters, at its default initial state.</summary>
    public static IKnownSystem Create(KnownSystemSpectrumOptions o) =>
        o.System switch
        {
            KnownSystem.Henon => new HenonMap(o.Henon.A, o.Henon.B),
            KnownSystem.Lorenz => new LorenzSystem(o.Lorenz.Sigma, o.Lorenz.Rho, o.Lorenz.Beta, o.Lorenz.Dt),
            KnownSystem.Logistic => new LogisticMap(o.Logistic.R),
            _ => throw new ArgumentOutOfRangeException(nameof(o), o.System, "unknown system"),
        };
}

// Helpers shared by the Lyapunov tests: put a system on its attractor, then measure it through the two adapters.
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Lyapunov;

namespace TrajectoryLab.Core.Tests.Lyapunov;

internal static class Run
{
    /// <summary>Steps <paramref name="system"/> <paramref name="steps"/> times (onto its attractor) and returns it.</summary>
    public static T Settled<T>(T system, int steps = 1000) where T : IDynamicalSystem
    {
        for (var n = 0; n < steps; n++) system.Step();
        return system;
    }

    public static LyapunovSpectrumResult Spectrum(IDynamicalSystem system, int k, int steps, int qrInterval = 1, int transient = 1000, int seed = 0) =>
        LyapunovSpectrum.Compute(new TangentBundle(system, k, seed), new LyapunovSpectrumOptions(transient, steps, qrInterval));

    public static MaximalExponentResult Maximal(IDynamicalSystem system, int steps, int every = 1, double epsilon = 1e-8, int transient = 1000) =>
        MaximalExponent.Compute(new StatePair(system, epsilon), new MaximalExponentOptions(transient, steps, every));

    public static string Format(IEnumerable<double> values) =>
        string.Join(", ", values.Select(v => v.ToString("F6", System.Globalization.CultureInfo.InvariantCulture)));
}

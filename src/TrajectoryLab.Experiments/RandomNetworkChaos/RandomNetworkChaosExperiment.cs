// random-network-chaos: the transition to chaos of the random tanh network x → g W tanh(x), W_ij ~ N(0, 1/N). For every
// gain g and every network (W drawn from seed + i), λ1 is measured twice on the same orbit, by the k = 1 tangent with
// renormalisation (the QR code with k = 1) and by Benettin's two trajectories, and compared (RandomNetworkChaosReport)
// with the mean-field prediction λ1 = ½ ln(g² E[tanh′(√q* z)²]) (ln g below g = 1) and, below the transition, with the
// exact finite-N value ln(g ρ(W)) from W's eigenvalues. The leading k exponents are measured at one gain. Every gain of
// every network is an independent job on a pool of threads; each writes only its own slot, so the numbers do not depend on
// the scheduling.
// References: Benettin et al. (1980), Meccanica 15:9-30; Sompolinsky, Crisanti & Sommers (1988), PRL 61:259; Molgedey,
// Schuchhardt & Schuster (1992), PRL 69:3717; Doyon, Cessac, Quoy & Samuelides (1993), Int. J. Bifurcation Chaos 3:279.
using System.Globalization;
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Systems;

namespace TrajectoryLab.Experiments.RandomNetworkChaos;

/// <summary>Sweeps the gain of random tanh networks, measuring λ1 two ways, plus the leading spectrum at one gain.</summary>
public sealed class RandomNetworkChaosExperiment : Experiment<RandomNetworkChaosOptions, RandomNetworkChaosResult>
{
    /// <inheritdoc/>
    public override string Kind => "random-network-chaos";

    /// <inheritdoc/>
    public override RandomNetworkChaosResult Measure(RandomNetworkChaosOptions o, IMeasureContext run)
    {
        var gains = o.Gains.Distinct().Order().ToArray(); // [gains]
        var seeds = Enumerable.Range(0, o.Networks).Select(i => (int)((o.Seed + (long)i) % int.MaxValue)).ToArray(); // [networks]
        var networks = run.Phase("draw networks", () => seeds.Select(s => new RandomTanhNetwork(o.Units, 1.0, s)).ToArray());
        var theory = new MeanFieldChaos();
        var meanField = run.Phase("mean field", () => gains.Select(theory.At).ToList());

        var qr = gains.Select(_ => new double[o.Networks]).ToArray(); // [gains][networks]
        var pair = gains.Select(_ => new double[o.Networks]).ToArray(); // [gains][networks]
        var sweepBreakdowns = gains.Select(_ => new string?[o.Networks]).ToArray(); // [gains][networks]
        var radius = Enumerable.Repeat(double.NaN, o.Networks).ToArray(); // [networks]
        double[] eigenReal = [],
            eigenImaginary = [];
        var spectra = new double[o.SpectrumNetworks][]; // [spectrum networks][k]
        var volume = Enumerable.Repeat(double.NaN, o.SpectrumNetworks).ToArray(); // [spectrum networks]
        var spectrumBreakdowns = new string?[o.SpectrumNetworks];

        var jobs = new List<Action>(); // longest first, so the pool ends together
        for (var s = 0; s < o.SpectrumNetworks; s++)
        {
            var n = s;
            jobs.Add(() => (spectra[n], volume[n], spectrumBreakdowns[n]) = Spectrum(networks[n], o));
        }
        if (o.Eigenvalues)
            for (var s = 0; s < o.Networks; s++)
            {
                var n = s;
                jobs.Add(() =>
                {
                    var eigenvalues = networks[n].Weights.Evd().EigenValues;
                    radius[n] = eigenvalues.Max(e => e.Magnitude);
                    if (n == 0)
                    {
                        eigenReal = [.. eigenvalues.Select(e => e.Real)];
                        eigenImaginary = [.. eigenvalues.Select(e => e.Imaginary)];
                    }
                });
            }
        for (var g = 0; g < gains.Length; g++)
        for (var s = 0; s < o.Networks; s++)
        {
            var (gi, n) = (g, s);
            jobs.Add(() => (qr[gi][n], pair[gi][n], sweepBreakdowns[gi][n]) = Lambda1(networks[n].WithGain(gains[gi]), seeds[n], o));
        }

        run.Phase("sweep", () =>
        {
            using var progress = run.Progress("gains × networks", jobs.Count);
            var options = new ParallelOptions
            {
                MaxDegreeOfParallelism = o.Threads > 0 ? o.Threads : Environment.ProcessorCount,
                CancellationToken = run.Cancellation,
            };
            Parallel.ForEach(jobs, options, job =>
            {
                run.Cancellation.ThrowIfCancellationRequested();
                job();
                lock (progress)
                    progress.Advance();
            });
        });

        var breakdowns = new List<string>();
        for (var g = 0; g < gains.Length; g++)
        for (var s = 0; s < o.Networks; s++)
            if (sweepBreakdowns[g][s] is { } reason)
                breakdowns.Add(string.Create(CultureInfo.InvariantCulture, $"g = {gains[g]}, seed {seeds[s]}: {reason}"));
        var spectrum = new SpectrumAtGain(
            o.SpectrumGain,
            theory.At(o.SpectrumGain),
            spectra,
            volume,
            [
                .. spectrumBreakdowns
                    .Select((b, s) => b is null ? null : string.Create(CultureInfo.InvariantCulture, $"seed {seeds[s]}: {b}"))
                    .OfType<string>(),
            ]
        );
        return new RandomNetworkChaosResult(
            o.Units,
            gains,
            seeds,
            qr,
            pair,
            breakdowns,
            meanField,
            radius,
            eigenReal,
            eigenImaginary,
            spectrum
        );
    }

    /// <inheritdoc/>
    public override void Report(RandomNetworkChaosOptions o, RandomNetworkChaosResult result, RunContext run) =>
        RandomNetworkChaosReport.Render(o, result, run);

    /// <summary>λ1 of <paramref name="system"/> from the k = 1 tangent and from two trajectories, both started at its state.</summary>
    static (double Qr, double Pair, string? Breakdown) Lambda1(RandomTanhNetwork system, int seed, RandomNetworkChaosOptions o)
    {
        var tangent = LyapunovSpectrum.Compute(
            new TangentBundle(system, 1, seed),
            new LyapunovSpectrumOptions(o.Transient, o.Steps, o.RenormaliseEvery, MaxCheckpoints: 1)
        );
        var twin = MaximalExponent.Compute(
            new StatePair(system, o.Epsilon, seed),
            new MaximalExponentOptions(o.Transient, o.Steps, o.RenormaliseEvery, MaxCheckpoints: 1)
        );
        var reason = string.Join(" ", new[] { tangent.Breakdown, twin.Breakdown }.OfType<string>());
        return (tangent.Exponents[0], twin.Exponent, reason.Length == 0 ? null : reason);
    }

    /// <summary>The leading k exponents at the spectrum gain and, when k = N, the orbit mean of ln|det J| over the same steps.</summary>
    static (double[] Exponents, double Volume, string? Breakdown) Spectrum(RandomTanhNetwork network, RandomNetworkChaosOptions o)
    {
        var system = network.WithGain(o.SpectrumGain);
        var seed = network.Seed;
        var result = LyapunovSpectrum.Compute(
            new TangentBundle(system, o.SpectrumDirections, seed),
            new LyapunovSpectrumOptions(o.SpectrumTransient, o.SpectrumSteps, o.SpectrumQrInterval, MaxCheckpoints: 1)
        );
        if (o.SpectrumDirections != o.Units)
            return (result.Exponents, double.NaN, result.Breakdown);
        var logDetW = system.LogAbsDeterminantOfWeights();
        for (var n = 0; n < o.SpectrumTransient; n++)
            system.Step();
        var measured = o.SpectrumSteps / o.SpectrumQrInterval * o.SpectrumQrInterval;
        var sum = 0.0;
        for (var n = 0; n < measured; n++)
        {
            sum += system.LogAbsDeterminant(system.State, logDetW);
            system.Step();
        }
        return (result.Exponents, sum / measured, result.Breakdown);
    }
}

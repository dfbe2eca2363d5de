// Options of random-network-chaos: the network size and the gains swept, how many networks (W drawn from seed, seed + 1,
// …), the run lengths of the two λ1 estimates, and the leading-k spectrum at one gain.
// References: Benettin et al. (1980) (QR and two-trajectory estimates); Molgedey, Schuchhardt & Schuster (1992).
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using TrajectoryLab.Experiments.Shared;

namespace TrajectoryLab.Experiments.RandomNetworkChaos;

/// <summary>Options of the <c>random-network-chaos</c> experiment: λ1(g) of x → g W tanh(x) against the mean field.</summary>
public sealed class RandomNetworkChaosOptions : ExperimentOptions, IValidatableObject
{
    /// <summary>Number of units N.</summary>
    [Range(2, 4000)]
    public int Units { get; set; } = 1000;

    /// <summary>The gains g swept (sorted before use); denser near the transition g = 1.</summary>
    [EachInRange(0.05, 4.0)]
    public double[] Gains { get; set; } =
    [0.5, 0.6, 0.7, 0.8, 0.9, 0.95, 1.0, 1.05, 1.1, 1.15, 1.2, 1.25, 1.3, 1.4, 1.5, 1.6, 1.8, 2.0, 2.2, 2.4, 2.6, 2.8, 3.0];

    /// <summary>Independent networks: network i draws W and x_0 from seed + i; every gain runs on every network.</summary>
    [Range(1, 100)]
    public int Networks { get; set; } = 5;

    /// <summary>Steps discarded (renormalising) before λ1 is averaged, per gain and network.</summary>
    [Range(0, 1_000_000)]
    public int Transient { get; set; } = 300;

    /// <summary>Steps over which λ1 is averaged, per gain and network and per method.</summary>
    [Range(1, 10_000_000)]
    public int Steps { get; set; } = 1500;

    /// <summary>Steps between renormalisations of the k = 1 tangent and of the two trajectories' separation.</summary>
    [Range(1, 100)]
    public int RenormaliseEvery { get; set; } = 10;

    /// <summary>Initial separation of the two trajectories, relative to the state norm.</summary>
    [Range(1e-14, 1e-3)]
    public double Epsilon { get; set; } = 1e-8;

    /// <summary>Compute the eigenvalues of every W (MathNet, about 10 s each at N = 1000): ρ(W) gives the exact finite-N
    /// λ1 = ln(g ρ(W)) below the transition and the finite-N critical gain 1/ρ(W).</summary>
    public bool Eigenvalues { get; set; } = true;

    /// <summary>The gain of the spectrum run.</summary>
    [Range(0.05, 4.0)]
    public double SpectrumGain { get; set; } = 2.0;

    /// <summary>Leading exponents k of the spectrum run (k = N: the full spectrum, whose sum is checked against the orbit
    /// mean of ln|det J|). 200 of N = 1000 covers every positive exponent at g = 2 (about 14 % of N) and the crossing of 0.</summary>
    [Range(1, 4000)]
    public int SpectrumDirections { get; set; } = 200;

    /// <summary>Networks (the first ones of the sweep) whose spectrum is measured.</summary>
    [Range(1, 100)]
    public int SpectrumNetworks { get; set; } = 1;

    /// <summary>Steps discarded before the spectrum is averaged.</summary>
    [Range(0, 1_000_000)]
    public int SpectrumTransient { get; set; } = 200;

    /// <summary>Steps over which the spectrum is averaged.</summary>
    [Range(1, 10_000_000)]
    public int SpectrumSteps { get; set; } = 1000;

    /// <summary>Steps between QR re-orthonormalisations of the spectrum's k tangents.</summary>
    [Range(1, 100)]
    public int SpectrumQrInterval { get; set; } = 10;

    /// <summary>Worker threads (each runs one gain of one network at a time); 0: one per core.</summary>
    [Range(0, 256)]
    public int Threads { get; set; }

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (Gains.Length == 0)
            yield return new ValidationResult("gains must list at least one gain", ["Gains"]);
        if (SpectrumDirections > Units)
            yield return new ValidationResult(
                string.Create(CultureInfo.InvariantCulture, $"spectrumDirections ({SpectrumDirections}) must not exceed units ({Units})"),
                ["SpectrumDirections"]
            );
        if (SpectrumNetworks > Networks)
            yield return new ValidationResult(
                string.Create(CultureInfo.InvariantCulture, $"spectrumNetworks ({SpectrumNetworks}) must not exceed networks ({Networks})"),
                ["SpectrumNetworks"]
            );
        if (Steps < RenormaliseEvery)
            yield return new ValidationResult(
                string.Create(CultureInfo.InvariantCulture, $"steps ({Steps}) must be at least renormaliseEvery ({RenormaliseEvery})"),
                ["Steps"]
            );
        if (SpectrumSteps < SpectrumQrInterval)
            yield return new ValidationResult(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"spectrumSteps ({SpectrumSteps}) must be at least spectrumQrInterval ({SpectrumQrInterval})"
                ),
                ["SpectrumSteps"]
            );
    }
}

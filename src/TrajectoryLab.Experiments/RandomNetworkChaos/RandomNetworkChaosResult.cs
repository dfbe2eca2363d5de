// What random-network-chaos measured: λ1 of every (gain, network) by the tangent + QR method and by two trajectories,
// the mean-field prediction per gain, the spectral radius (and, for the first network, the eigenvalues) of every W, and
// the leading-k spectrum at one gain.
// References: Benettin et al. (1980), Meccanica 15:9-30; Molgedey, Schuchhardt & Schuster (1992), PRL 69:3717.
using TrajectoryLab.Core.Systems;

namespace TrajectoryLab.Experiments.RandomNetworkChaos;

/// <summary>The sweep, the theory and the spectrum.</summary>
/// <param name="Units">N.</param>
/// <param name="Gains">[gains] the gains, ascending.</param>
/// <param name="Seeds">[networks] the seed of each network's W and x_0.</param>
/// <param name="Qr">[gains][networks] λ1 per step from the k = 1 tangent; NaN on breakdown.</param>
/// <param name="TwoTrajectory">[gains][networks] λ1 per step from two trajectories; NaN on breakdown.</param>
/// <param name="Breakdowns">One line per run that broke down (gain, network, reason).</param>
/// <param name="MeanField">[gains] the mean-field prediction at each gain.</param>
/// <param name="SpectralRadius">[networks] ρ(W) = max |eigenvalue| of each W; NaN where not computed.</param>
/// <param name="EigenvaluesReal">Real parts of the first network's eigenvalues (empty where not computed).</param>
/// <param name="EigenvaluesImaginary">Imaginary parts of the first network's eigenvalues.</param>
/// <param name="Spectrum">The leading-k spectra at the spectrum gain.</param>
public sealed record RandomNetworkChaosResult(
    int Units,
    double[] Gains,
    int[] Seeds,
    double[][] Qr,
    double[][] TwoTrajectory,
    IReadOnlyList<string> Breakdowns,
    IReadOnlyList<MeanFieldPoint> MeanField,
    double[] SpectralRadius,
    double[] EigenvaluesReal,
    double[] EigenvaluesImaginary,
    SpectrumAtGain Spectrum
);

/// <summary>The k leading exponents at one gain, per network.</summary>
/// <param name="Gain">g.</param>
/// <param name="MeanField">The mean-field prediction at g.</param>
/// <param name="Exponents">[networks][k] λ_1 ≥ … ≥ λ_k per step (the first networks of the sweep); NaN on breakdown.</param>
/// <param name="VolumeRate">[networks] orbit mean of ln|det J| over the same steps when k = N (Σλ must equal it), else NaN.</param>
/// <param name="Breakdowns">One line per network whose run broke down.</param>
public sealed record SpectrumAtGain(
    double Gain,
    MeanFieldPoint MeanField,
    double[][] Exponents,
    double[] VolumeRate,
    IReadOnlyList<string> Breakdowns
);

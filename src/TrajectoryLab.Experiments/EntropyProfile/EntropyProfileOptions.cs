// Options of entropy-profile: per-token entropy and surprisal over validation text and over the model's own generations,
// high-entropy ("forking") positions, the temperature sweep H(T) with its derivative check, and entropy by frequency rank.
// References: Shannon (1948), Bell Syst. Tech. J. 27; Wang et al. (2025), "Beyond the 80/20 Rule: High-Entropy Minority
// Tokens Drive Effective RL for LLM Reasoning", arXiv:2506.01939; Holtzman et al. (2020), "The Curious Case of Neural
// Text Degeneration", ICLR; Zipf (1949), Human Behavior and the Principle of Least Effort.
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Experiments.EntropyProfile;

/// <summary>Options of <c>entropy-profile</c>.</summary>
public sealed class EntropyProfileOptions : ExperimentOptions, IPreflight
{
    /// <summary>The model and its random-init twin.</summary>
    public ModelChoice Model { get; set; } = new();

    /// <summary>The texts read (teacher-forced, one prefill each); their first <see cref="PromptTokens"/> tokens prompt the
    /// generations.</summary>
    public TextChoice Text { get; set; } = new() { Documents = 16, Tokens = 256 };

    /// <summary>Tokens of each text (BOS included) that prompt its generation.</summary>
    [Range(1, 100_000)]
    public int PromptTokens { get; set; } = 16;

    /// <summary>Tokens generated per prompt.</summary>
    [Range(1, 100_000)]
    public int GenerateTokens { get; set; } = 128;

    /// <summary>Sampling temperature of the generations (the entropy measured is that of the model's T = 1 distribution).</summary>
    [Range(0.0, 100.0)]
    public double Temperature { get; set; } = 1.0;

    /// <summary>Quantile ρ of the batch threshold τ_ρ: positions with H ≥ τ_ρ are high-entropy.</summary>
    [Range(0.0, 1.0)]
    public double Quantile { get; set; } = 0.9;

    /// <summary>High-entropy positions kept per text by the top-K rule.</summary>
    [Range(1, 10_000)]
    public int TopK { get; set; } = 8;

    /// <summary>Tokens of each text shown coloured in the HTML report.</summary>
    [Range(1, 100_000)]
    public int StripTokens { get; set; } = 160;

    /// <summary>The temperature sweep.</summary>
    public TemperatureSweepOptions Sweep { get; set; } = new();

    /// <summary>Log-spaced bins of frequency rank.</summary>
    [Range(2, 100)]
    public int RankBins { get; set; } = 10;

    /// <summary>Bootstrap resamples of the rank–entropy correlation.</summary>
    [Range(10, 100_000)]
    public int BootstrapResamples { get; set; } = 1000;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths) => Model.Check(paths, out var model) ?? Text.Check(model!);
}

/// <summary>H(T) at a few positions of the first text, with dH/dT analytic (Var(z)/T³) against a central difference.</summary>
public sealed class TemperatureSweepOptions
{
    /// <summary>Lowest temperature.</summary>
    [Range(1e-3, 100.0)]
    public double Min { get; set; } = 0.1;

    /// <summary>Highest temperature.</summary>
    [Range(1e-3, 1000.0)]
    public double Max { get; set; } = 10;

    /// <summary>Temperatures, log-spaced.</summary>
    [Range(2, 10_000)]
    public int Count { get; set; } = 41;

    /// <summary>Relative step h of the central difference (H(T(1+h)) − H(T(1−h))) / (2hT).</summary>
    [Range(1e-8, 0.1)]
    public double Step { get; set; } = 1e-4;
}

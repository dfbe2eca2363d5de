// Options of the butterfly experiment: which models, prompts and perturbation sizes, how each row decodes, and how the
// finite-size Lyapunov exponent is binned. References: Lorenz (1963); Aurell et al. (1997), J. Phys. A 30:1 (FSLE).
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Experiments.Butterfly;

/// <summary>Options of <c>butterfly</c>.</summary>
public sealed class ButterflyOptions : ExperimentOptions, IPreflight
{
    /// <summary>The trained model and whether its random-init twin is measured too.</summary>
    [Required]
    public ModelChoice Model { get; set; } = new();

    /// <summary>Prompts; each is read after the tokenizer's BOS (or EOS) token and then generated from freely.</summary>
    public string[] Prompts { get; set; } = ["The jury said"];

    /// <summary>Prompts as token ids, used as they are (nothing prepended) instead of <see cref="Prompts"/> when nonempty.</summary>
    public int[][] PromptIds { get; set; } = [];

    /// <summary>Residual site perturbed at the last prompt position: h after this many blocks (0 = embeddings).</summary>
    [Range(0, 10_000)]
    public int Layer { get; set; } = 1;

    /// <summary>Residual site whose distance is recorded; null (leave the key out) for the top of the stack.</summary>
    [Range(0, 10_000)]
    public int? ObservedLayer { get; set; }

    /// <summary>Perturbed sites of the layer sweep (first divergence as a function of the layer), each at
    /// <see cref="LayerSweepEpsilon"/> and <see cref="LayerSweepTemperature"/>; empty to skip it.</summary>
    [EachInRange(0, 10_000)]
    public int[] LayerSweep { get; set; } = [0, 2, 4, 6];

    /// <summary>ε of the layer sweep.</summary>
    [Range(1e-12, 10.0)]
    public double LayerSweepEpsilon { get; set; } = 1e-2;

    /// <summary>Temperature of the layer sweep (0 = greedy).</summary>
    [Range(0.0, 100.0)]
    public double LayerSweepTemperature { get; set; } = 1.0;

    /// <summary>Perturbation sizes ε, relative to ||h|| at the perturbed site.</summary>
    [MinLength(1), EachInRange(1e-12, 10.0)]
    public double[] Epsilons { get; set; } = [1e-4, 1e-3, 1e-2, 1e-1];

    /// <summary>Decoding temperatures; 0 is greedy. Sampled rows share one random stream.</summary>
    [MinLength(1), EachInRange(0.0, 100.0)]
    public double[] Temperatures { get; set; } = [0, 0.7, 1.0];

    /// <summary>Random orthonormal directions per ε.</summary>
    [Range(1, 4096)]
    public int CopiesPerEpsilon { get; set; } = 8;

    /// <summary>Tokens generated after the prompt by every row.</summary>
    [Range(2, 100_000)]
    public int Steps { get; set; } = 64;

    /// <summary>The finite-size exponent's thresholds.</summary>
    [Required]
    public FsleSettings Fsle { get; set; } = new();

    /// <summary>Bootstrap resamples of the entropy–growth correlation.</summary>
    [Range(1, 100_000)]
    public int BootstrapResamples { get; set; } = 1000;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths)
    {
        if (Epsilons.Any(e => !(e > 0) || !double.IsFinite(e)))
            return ("epsilons", "every ε must be positive and finite");
        if (Temperatures.Any(t => !(t >= 0) || !double.IsFinite(t)))
            return ("temperatures", "every temperature must be 0 (greedy) or positive");
        return Model.Check(paths, out var model) ?? PromptSource.Check(Prompts, PromptIds, model!);
    }
}

/// <summary>Thresholds δ_n = δ_0 rⁿ of the finite-size Lyapunov exponent, on the relative distance d/||h||.</summary>
public sealed class FsleSettings
{
    /// <summary>δ_0; 0 = twice the smallest initial relative distance of the run.</summary>
    [Range(0.0, 1e6)]
    public double Delta0 { get; set; }

    /// <summary>Threshold ratio r.</summary>
    [Range(1.01, 100.0)]
    public double Ratio { get; set; } = 1.4142135623730951;

    /// <summary>Number of scales; 0 = as many as reach the largest distance seen.</summary>
    [Range(0, 1000)]
    public int Count { get; set; }
}

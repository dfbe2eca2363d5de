// Options of the repetition-attractors experiment: prompts, decoding strategies and temperatures of the loop sweep, the
// sentences of the self-reinforcement test, the recurrence threshold and the perturbation-escape search.
// References: Holtzman et al. (2020), "The Curious Case of Neural Text Degeneration", ICLR (repetition %, top-p);
// Xu et al. (2022), "Learning to Break the Loop", NeurIPS (self-reinforcement); Marwan et al. (2007), Phys. Rep. 438:237 (RQA);
// Fan et al. (2018), ACL (top-k); Nguyen et al. (2024), arXiv:2407.01082 (min-p).
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Experiments.RepetitionAttractors;

/// <summary>Options of <c>repetition-attractors</c>.</summary>
public sealed class RepetitionAttractorsOptions : ExperimentOptions, IPreflight
{
    /// <summary>The trained model and whether its random-init twin is measured too.</summary>
    [Required]
    public ModelChoice Model { get; set; } = new();

    /// <summary>Prompts, each read after the tokenizer's BOS (or EOS) token; prompts of equal token length share a batch.</summary>
    public string[] Prompts { get; set; } = ["The jury said"];

    /// <summary>Prompts as token ids, used as they are (nothing prepended) instead of <see cref="Prompts"/> when nonempty.</summary>
    public int[][] PromptIds { get; set; } = [];

    /// <summary>Tokens generated after each prompt.</summary>
    [Range(4, 4096)]
    public int Steps { get; set; } = 128;

    /// <summary>Temperatures of the sampled strategies (greedy runs once per prompt, independent of them).</summary>
    [MinLength(1), EachInRange(1e-6, 100)]
    public double[] Temperatures { get; set; } = [0.25, 0.5, 0.75, 1.0];

    /// <summary>Strategies: any of "greedy", "sampling" (plain softmax), "top-k", "top-p", "min-p".</summary>
    [MinLength(1)]
    public string[] Strategies { get; set; } = ["greedy", "top-k", "top-p", "min-p"];

    /// <summary>k of the top-k strategy.</summary>
    [Range(1, 1_000_000)]
    public int TopK { get; set; } = 40;

    /// <summary>p of the top-p (nucleus) strategy.</summary>
    [Range(1e-6, 1.0)]
    public double TopP { get; set; } = 0.9;

    /// <summary>min_p of the min-p strategy.</summary>
    [Range(1e-6, 1.0)]
    public double MinP { get; set; } = 0.05;

    /// <summary>Repeats a terminal cycle needs to count as a loop (CycleDetector's minRepeats).</summary>
    [Range(2, 1000)]
    public int LoopRepeats { get; set; } = 3;

    /// <summary>Entropy threshold θ of the early warning, as this quantile of the model's entropies at steps outside loops.</summary>
    [Range(0.0, 1.0)]
    public double WarningQuantile { get; set; } = 0.25;

    /// <summary>Sentences repeated n = 1 … <see cref="Repetitions"/> times for the self-reinforcement test.</summary>
    public string[] Sentences { get; set; } = ["The jury said it did find that many of the voters had been misled."];

    /// <summary>N, the largest number of repetitions already in the context.</summary>
    [Range(1, 100)]
    public int Repetitions { get; set; } = 8;

    /// <summary>Recurrence threshold: this quantile of the trajectory's pairwise hidden-state distances.</summary>
    [Range(0.001, 1.0)]
    public double RecurrenceQuantile { get; set; } = 0.1;

    /// <summary>Residual sites (0 = embeddings … n_layers = top) perturbed in the escape search; empty to skip it.</summary>
    [EachInRange(0, 10_000)]
    public int[] EscapeLayers { get; set; } = [0, 1, 2, 3, 4, 5, 6];

    /// <summary>Greedy loops per model whose escape is searched.</summary>
    [Range(1, 100)]
    public int EscapeLoops { get; set; } = 2;

    /// <summary>Random orthonormal directions per loop and layer.</summary>
    [Range(1, 64)]
    public int EscapeDirections { get; set; } = 4;

    /// <summary>Smallest ε (relative to ||h||) of the log grid.</summary>
    [Range(1e-9, 1e3)]
    public double EscapeMinEpsilon { get; set; } = 1e-3;

    /// <summary>Largest ε of the log grid.</summary>
    [Range(1e-9, 1e3)]
    public double EscapeMaxEpsilon { get; set; } = 10.0;

    /// <summary>Grid points per decade of ε.</summary>
    [Range(1, 20)]
    public int EscapeGridPerDecade { get; set; } = 2;

    /// <summary>Bisection halvings (in log ε) after the grid.</summary>
    [Range(0, 30)]
    public int EscapeBisections { get; set; } = 3;

    /// <summary>The named strategy's sampler at temperature <paramref name="t"/>.</summary>
    /// <param name="strategy">A name from <see cref="Strategies"/>.</param>
    /// <param name="t">Temperature (ignored by greedy).</param>
    public Torch.Sampling.SamplerOptions Sampler(string strategy, double t) =>
        strategy switch
        {
            "greedy" => Torch.Sampling.SamplerOptions.Greedy,
            "sampling" => new() { Temperature = t },
            "top-k" => new() { Temperature = t, TopK = TopK },
            "top-p" => new() { Temperature = t, TopP = TopP },
            "min-p" => new() { Temperature = t, MinP = MinP },
            _ => throw new ArgumentException($"unknown strategy '{strategy}'", nameof(strategy)),
        };

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths)
    {
        string[] known = ["greedy", "sampling", "top-k", "top-p", "min-p"];
        if (Strategies.FirstOrDefault(s => !known.Contains(s)) is { } bad)
            return ("strategies", $"unknown strategy '{bad}'; known: {string.Join(", ", known)}");
        if (Strategies.Distinct().Count() != Strategies.Length)
            return ("strategies", "a strategy is listed twice");
        if (Temperatures.Any(t => !(t > 0) || !double.IsFinite(t)))
            return ("temperatures", "every temperature must be positive and finite (greedy is a strategy)");
        if (!(EscapeMinEpsilon < EscapeMaxEpsilon))
            return ("escapeMinEpsilon", "must be below escapeMaxEpsilon");
        if (EscapeLayers.Any(l => l < 0))
            return ("escapeLayers", "layers must be ≥ 0");
        return Model.Check(paths, out var model)
            ?? PromptSource.Check(Prompts, PromptIds, model!)
            ?? (
                Sentences.Length > 0 && model!.Tokenizer is null
                    ? (
                        "sentences",
                        "the self-reinforcement test repeats sentences of text, and this model has no tokenizer: "
                            + "set sentences to [] or name a tokenizer (model.tokenizer)"
                    )
                    : null
            );
    }
}

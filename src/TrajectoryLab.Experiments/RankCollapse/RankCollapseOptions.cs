// Options of rank-collapse: which models and texts, the position windows and context lengths the rank measures are taken
// over, the greedy continuation and its sliding trajectory window, and the path ablations.
// References: Dong, Cordonnier & Loukas (2021), "Attention is not all you need: pure attention loses rank doubly
// exponentially with depth", ICML (arXiv:2103.03404); Roy & Vetterli (2007), EUSIPCO (effective rank).
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Experiments.RankCollapse;

/// <summary>Options of <c>rank-collapse</c>.</summary>
public sealed class RankCollapseOptions : ExperimentOptions, IPreflight
{
    /// <summary>The trained model and whether its random-init twin is measured too.</summary>
    [Required]
    public ModelChoice Model { get; set; } = new();

    /// <summary>The texts (Brown validation documents or inline texts), BOS first.</summary>
    [Required]
    public TextChoice Text { get; set; } = new();

    /// <summary>Positions per window of the layer × window measures.</summary>
    [Range(2, 100_000)]
    public int Window { get; set; } = 32;

    /// <summary>Context lengths (prefixes from position 0) of the growing-context curves; those longer than a text are skipped.</summary>
    [MinLength(1), EachInRange(2, 1_000_000)]
    public int[] Prefixes { get; set; } = [8, 16, 32, 64, 128, 192];

    /// <summary>Tokens of each text the model continues greedily (BOS included); the continuation fills the text's length.</summary>
    [Range(1, 100_000)]
    public int PromptTokens { get; set; } = 32;

    /// <summary>Generation steps per sliding window of the trajectory rank (top residual of the newest position).</summary>
    [Range(2, 100_000)]
    public int TrajectoryWindow { get; set; } = 16;

    /// <summary>Repeats a terminal cycle needs to count as a loop (CycleDetector's minRepeats).</summary>
    [Range(2, 1000)]
    public int LoopRepeats { get; set; } = 3;

    /// <summary>Run the path ablations (full, pure attention, attention + skip, attention + MLP) on the texts.</summary>
    public bool Ablations { get; set; } = true;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths)
    {
        if (Prefixes.Any(p => p < 2))
            return ("prefixes", "every prefix must hold at least 2 positions");
        if (PromptTokens >= Text.Tokens)
            return ("promptTokens", "must be smaller than text.tokens, so that something is generated");
        if (Model.Check(paths, out var model) is { } problem)
            return problem;
        if (
            Ablations
            && AttentionRequirement.Problem(model!.Spec, "rank-collapse", "Dong et al.'s attention path ablations") is { } attention
        )
            return ("ablations", attention + "; set ablations = false to measure without them");
        return Text.Check(model!);
    }
}

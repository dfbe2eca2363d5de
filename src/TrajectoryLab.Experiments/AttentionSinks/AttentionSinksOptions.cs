// Options of attention-sinks: the model (and its random-init twin), the Brown validation texts read up to and past the
// training context, the cache budget k + W and the sink counts compared, and how many first positions count as "the
// start" in the attention-mass measure.
// Reference: Xiao et al. (2024), "Efficient Streaming Language Models with Attention Sinks", ICLR, arXiv:2309.17453.
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments.Shared;

namespace TrajectoryLab.Experiments.AttentionSinks;

/// <summary>Options of the attention-sinks experiment.</summary>
public sealed class AttentionSinksOptions : ExperimentOptions, IPreflight
{
    /// <summary>The model and its random twin (the twin's attention mass is the baseline a trained model's sinks stand out
    /// from). <c>model:cache</c> is not read here: the experiment sets each policy itself.</summary>
    [Required]
    public ModelChoice Model { get; set; } = new();

    /// <summary>The texts: tokens is the length read under every policy (the paper reads up to 5× the context).</summary>
    [Required]
    public TextChoice Text { get; set; } = new() { Tokens = 1024 };

    /// <summary>The training context C; 0 for the model's max_position_embeddings. Patterns are read over the first C
    /// tokens, and "past the context" means positions ≥ C.</summary>
    [Range(0, 1_000_000)]
    public int Context { get; set; }

    /// <summary>k + W, the keys a query sees under every policy; 0 for the context C (the paper's comparison keeps the cache
    /// at the model's own context).</summary>
    [Range(0, 1_000_000)]
    public int Budget { get; set; }

    /// <summary>Sink counts k compared with the plain window (k = 0) and full attention; the window is budget − k.</summary>
    [EachInRange(1, 1024)]
    public int[] Sinks { get; set; } = [1, 2, 4];

    /// <summary>First positions whose attention mass is measured (position 0 is also reported alone).</summary>
    [Range(1, 64)]
    public int StartPositions { get; set; } = 4;

    /// <summary>Also decode the first text token by token under the largest sink count and check that the stepwise cache
    /// gives the single pass's surprisals.</summary>
    public bool CheckDecode { get; set; } = true;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths)
    {
        if (Model.Cache is not null)
            return ("model:cache", "attention-sinks sets the cache policy itself (full, window, window + sinks); leave model:cache out");
        if (Model.Check(paths, out var model) is { } problem)
            return problem;
        var spec = model!.Spec;
        if (AttentionRequirement.Problem(spec, "attention-sinks", "attention patterns and key–value caches") is { } attention)
            return ("model:name", attention);
        if (Context == 0 && spec.MaxPositionEmbeddings >= 1_000_000)
            return ("context", "the model has no max_position_embeddings; set context to the length it was trained on");
        var budget =
            Budget > 0 ? Budget
            : Context > 0 ? Context
            : spec.MaxPositionEmbeddings;
        if (Sinks.Any(k => k >= budget))
            return ("sinks", $"every sink count must be smaller than the budget {budget}, so that a window remains");
        if (StartPositions >= Text.Tokens)
            return ("startPositions", "must be smaller than text.tokens");
        return Text.Check(model);
    }
}

// Options of entropy-rate-drift: the model (and its random-init twin), the held-out texts, the sampled generations (prompts,
// samples per prompt, length as a multiple of the training context, length buckets), and the lookahead calibration (k
// candidates, the α grid, the calibrated generations).
// References: Braverman et al. (2020), "Calibration, Entropy Rates, and Memory in Language Models", ICML (arXiv:1906.05664).
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments.Shared;

namespace TrajectoryLab.Experiments.EntropyRateDrift;

/// <summary>Options of <c>entropy-rate-drift</c>.</summary>
public sealed class EntropyRateDriftOptions : ExperimentOptions, IPreflight
{
    /// <summary>The trained model and whether its random-init twin is measured too (held-out cross-entropy and sampled
    /// generations; the calibration is fitted for the trained model only).</summary>
    [Required]
    public ModelChoice Model { get; set; } = new();

    /// <summary>The held-out texts (Brown validation documents by default), BOS first: the cross-entropy, the α fit, and the
    /// prompts (their first <see cref="PromptTokens"/> tokens).</summary>
    [Required]
    public TextChoice Text { get; set; } = new();

    /// <summary>The training context in tokens; 0 for the model's max_position_embeddings (a model without a limit, such as
    /// a Mamba, needs it set).</summary>
    [Range(0, 1_000_000)]
    public int Context { get; set; }

    /// <summary>Tokens (BOS included) of each held-out text that prompt a generation.</summary>
    [Range(1, 10_000)]
    public int PromptTokens { get; set; } = 8;

    /// <summary>How many held-out texts give a prompt (the first ones).</summary>
    [Range(1, 1000)]
    public int Prompts { get; set; } = 4;

    /// <summary>Generations per prompt at temperature 1 (pure ancestral sampling), each with its own random stream.</summary>
    [Range(1, 1000)]
    public int Samples { get; set; } = 4;

    /// <summary>Generated tokens, as a multiple of <see cref="Context"/>.</summary>
    [Range(0.01, 64.0)]
    public double LengthFactor { get; set; } = 4.0;

    /// <summary>Positions per length bucket of the entropy rate.</summary>
    [Range(1, 100_000)]
    public int BucketTokens { get; set; } = 64;

    /// <summary>k: candidates whose lookahead entropy is computed (one model row each, plus one row for the true or the
    /// drawn token); every other token gets the candidates' mean.</summary>
    [Range(1, 4096)]
    public int TopK { get; set; } = 24;

    /// <summary>The α grid of the fit (must hold 0, so that CE(α*) ≤ CE(0)); the minimum is refined by golden section.</summary>
    [MinLength(2), EachInRange(-100, 100)]
    public double[] Alphas { get; set; } = [-1, -0.5, -0.25, 0, 0.25, 0.5, 0.75, 1, 1.5, 2, 3];

    /// <summary>Generations from the calibrated model p̂_α* (prompt g mod prompts, own random stream each); each costs
    /// k + 1 model rows per step. 0 skips them.</summary>
    [Range(0, 1000)]
    public int CalibratedGenerations { get; set; } = 4;

    /// <summary>Repeats a terminal cycle needs to count as a loop (CycleDetector's minRepeats).</summary>
    [Range(2, 1000)]
    public int LoopRepeats { get; set; } = 3;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths)
    {
        if (!Alphas.Contains(0))
            return ("alphas", "must hold 0 (the uncalibrated model), so that the fit can only lower the cross-entropy");
        if (Alphas.Any(a => !double.IsFinite(a)))
            return ("alphas", "every α must be finite");
        if (Prompts > Text.Documents && Text.Texts.Length == 0 && Text.Ids.Length == 0)
            return ("prompts", $"must be at most text.documents ({Text.Documents})");
        if (PromptTokens >= Text.Tokens)
            return ("promptTokens", "must be smaller than text.tokens");
        if (Model.Check(paths, out var model) is { } problem)
            return problem;
        var spec = model!.Spec;
        if (Context == 0 && spec.MaxPositionEmbeddings >= 1_000_000)
            return ("context", "the model has no max_position_embeddings; set context to the length it was trained on");
        var context = Context > 0 ? Context : spec.MaxPositionEmbeddings;
        var length = Generated(context);
        if (length < 2)
            return ("lengthFactor", $"gives {length} generated tokens; at least 2 are needed");
        if (spec.Block.Positions == Torch.Models.PositionKind.Learned && PromptTokens + length > spec.MaxPositionEmbeddings)
            return (
                "lengthFactor",
                $"the model has learned positions ({spec.MaxPositionEmbeddings}) and cannot read {PromptTokens} + {length} tokens"
            );
        if (spec.Block.Positions == Torch.Models.PositionKind.Learned && Text.Tokens > spec.MaxPositionEmbeddings)
            return ("text:tokens", $"the model has learned positions and reads at most {spec.MaxPositionEmbeddings} tokens");
        if (TopK >= spec.VocabSize)
            return ("topK", $"must be below the vocabulary ({spec.VocabSize})");
        if (Prompts * Samples < 2)
            return ("samples", "prompts × samples must be at least 2 (the standard errors are over generations)");
        if (CalibratedGenerations == 1)
            return ("calibratedGenerations", "must be 0 or at least 2 (the standard errors are over generations)");
        return Text.Check(model);
    }

    /// <summary>Generated tokens for a training context of <paramref name="context"/>.</summary>
    public int Generated(int context) => (int)Math.Round(LengthFactor * context);
}

// Options of attention-dilution: attention entropy against query position up to and beyond the training context, the
// drift of hidden-state statistics there, and a key–value retrieval probe in the style of "lost in the middle".
// References: Liu et al. (2024), "Lost in the Middle: How Language Models Use Long Contexts", TACL 12;
// Zhai et al. (2023), "Stabilizing Transformer Training by Preventing Attention Entropy Collapse", ICML;
// Press et al. (2022), "Train Short, Test Long" (ALiBi), ICLR; Roy & Vetterli (2007), EUSIPCO (effective rank).
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Experiments.AttentionDilution;

/// <summary>Options of <c>attention-dilution</c>.</summary>
public sealed class AttentionDilutionOptions : ExperimentOptions, IPreflight
{
    /// <summary>The model and its random-init twin.</summary>
    public ModelChoice Model { get; set; } = new();

    /// <summary>The texts read in one prefill each; make them longer than the training context to see what happens past it.</summary>
    public TextChoice Text { get; set; } = new() { Tokens = 512, Documents = 6 };

    /// <summary>Positions per window of the effective rank of the top residual and of the smoothed curves.</summary>
    [Range(2, 4096)]
    public int Window { get; set; } = 32;

    /// <summary>The key–value retrieval probe.</summary>
    public RetrievalProbeOptions Retrieval { get; set; } = new();

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths) =>
        Model.Check(paths, out var model)
        ?? (
            AttentionRequirement.Problem(model!.Spec, "attention-dilution", "attention patterns") is { } attention
                ? ("model:name", attention)
                : ((string, string)?)null
        )
        ?? Text.Check(model!)
        ?? (
            Retrieval.Pairs > 0 && model!.Tokenizer is null
                ? (
                    "retrieval:pairs",
                    "the retrieval probe writes its contexts as text, and this model has no tokenizer: "
                        + "set retrieval.pairs = 0, or name a tokenizer (model.tokenizer)"
                )
                : null
        );
}

/// <summary>Options of the key–value retrieval probe ("k1: v1. k2: v2. … kq:", score the value's first token).</summary>
public sealed class RetrievalProbeOptions
{
    /// <summary>Key–value pairs in each context (the relevant one at each position 1 … pairs in turn); 0 skips the probe.</summary>
    [Range(0, 200)]
    public int Pairs { get; set; } = 10;

    /// <summary>Random contexts per position of the relevant pair.</summary>
    [Range(1, 10_000)]
    public int Trials { get; set; } = 20;

    /// <summary>The words keys and values are drawn from (distinct within a context); at least 2 × pairs of them.</summary>
    public string[] Words { get; set; } =
    [
        "river",
        "table",
        "horse",
        "window",
        "garden",
        "letter",
        "doctor",
        "church",
        "summer",
        "money",
        "paper",
        "bridge",
        "island",
        "mother",
        "father",
        "school",
        "market",
        "forest",
        "engine",
        "village",
        "soldier",
        "painter",
        "captain",
        "teacher",
        "kitchen",
        "office",
        "ocean",
        "winter",
        "record",
        "silver",
        "finger",
        "shadow",
        "corner",
        "pocket",
        "stone",
        "train",
        "apple",
        "music",
        "story",
        "friend",
        "street",
        "wall",
        "fire",
        "glass",
        "house",
        "night",
        "water",
        "board",
    ];
}

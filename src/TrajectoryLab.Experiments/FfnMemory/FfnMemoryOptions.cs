// Options of ffn-memory: which models and validation texts, how many top-activating prefixes a key keeps and how many
// top tokens a value is read by, the shuffled-unit baseline, the per-layer MLP ablations and the units the report shows.
// Reference: Geva, Schuster, Berant & Levy (2021), "Transformer Feed-Forward Layers Are Key-Value Memories", EMNLP
// (arXiv:2012.14913).
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.FfnMemory;

/// <summary>Options of <c>ffn-memory</c>.</summary>
public sealed class FfnMemoryOptions : ExperimentOptions, IPreflight
{
    /// <summary>The trained model and whether its random-init twin is measured too.</summary>
    [Required]
    public ModelChoice Model { get; set; } = new();

    /// <summary>The texts (Brown validation documents or inline texts), BOS first.</summary>
    [Required]
    public TextChoice Text { get; set; } = new() { Documents = 32, Tokens = 256 };

    /// <summary>Top-activating prefixes kept per unit (Geva et al. keep 25 trigger examples per key).</summary>
    [Range(1, 1000)]
    public int TopPrefixes { get; set; } = 25;

    /// <summary>k of the top-k agreement: a unit agrees at k when its value's k top tokens hold the next token of its
    /// top-1 prefix; the value's top tokens listed in the report.</summary>
    [Range(1, 1000)]
    public int ValueTopK { get; set; } = 10;

    /// <summary>Random pairings of values with keys in the shuffled-unit baseline (one permutation of the units of a
    /// layer each).</summary>
    [Range(1, 100_000)]
    public int Permutations { get; set; } = 200;

    /// <summary>Ablate each layer's MLP (zero and mean) and measure the bits per token (trained model only).</summary>
    public bool Ablations { get; set; } = true;

    /// <summary>Bootstrap resamples (over documents) of each Δ bits per token.</summary>
    [Range(1, 100_000)]
    public int BootstrapResamples { get; set; } = 1000;

    /// <summary>Units per layer the report shows with their prefixes and value tokens.</summary>
    [Range(0, 100)]
    public int UnitsShown { get; set; } = 3;

    /// <summary>Prefixes shown per unit in the report.</summary>
    [Range(1, 100)]
    public int PrefixesShown { get; set; } = 3;

    /// <summary>Tokens of context shown before the trigger token of a prefix in the report.</summary>
    [Range(0, 100)]
    public int SnippetTokens { get; set; } = 8;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths)
    {
        if (TopPrefixes < PrefixesShown)
            return ("prefixesShown", $"must not exceed topPrefixes ({TopPrefixes})");
        if (Model.Check(paths, out var model) is { } problem)
            return problem;
        if (model!.Spec.Block.Mixer != MixerKind.Attention)
            return (
                "model:name",
                $"ffn-memory reads the feed-forward (MLP) sublayers, and this {model.Spec.ModelType} model has no MLP "
                    + "(its blocks are state-space mixers)"
            );
        if (ValueTopK > model.Spec.VocabSize)
            return ("valueTopK", $"must not exceed the vocabulary ({model.Spec.VocabSize})");
        return Text.Check(model);
    }
}

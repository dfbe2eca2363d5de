// A model family: everything that differs between architectures at the file boundary — which config.json model_types
// it reads, how their keys become a ModelSpec (with its BlockDesign) and back, which Hugging Face tensors hold which
// canonical parameters, what makes a spec impossible, and how it shapes a comparable model from family-neutral sizes
// (ModelSizes). Adding a family = one file here and one line in ModelFamilies; the modules read the spec's BlockDesign
// and need no change unless the family brings a new layer.
using System.Text.Json;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Torch.Models.Families;

/// <summary>The config and weight conventions of one family of Hugging Face models.</summary>
internal interface IModelFamily
{
    /// <summary>The config.json model_type values the family reads.</summary>
    IReadOnlyList<string> ModelTypes { get; }

    /// <summary>config.json's key for the number of blocks (named in messages about missing layers).</summary>
    string LayerCountKey => "num_hidden_layers";

    /// <summary>The spec config.json describes; unsupported features are refused naming their key.</summary>
    /// <exception cref="CheckpointException">A missing, ill-typed or unsupported key.</exception>
    ModelSpec Read(ConfigKeys config, string modelType);

    /// <summary>Writes the family's keys of <paramref name="spec"/> (all but torch_dtype and the BOS/EOS ids) so that
    /// <see cref="Read"/> gives the same spec back.</summary>
    void Write(Utf8JsonWriter json, ModelSpec spec);

    /// <summary>Every canonical parameter of a model of <paramref name="spec"/> and the Hugging Face tensor holding it.</summary>
    /// <param name="spec">The architecture.</param>
    /// <param name="present">Which tensors a checkpoint holds, when reading one (for families whose naming varies).</param>
    IReadOnlyList<WeightMapping> Weights(ModelSpec spec, Func<string, bool>? present = null);

    /// <summary>Hugging Face tensors that carry no weights of their own (buffers, a repeated tied head).</summary>
    bool IsIgnorable(string hfName, ModelSpec spec) => false;

    /// <summary>A problem with <paramref name="spec"/>'s numbers in the family's own key names, or null.</summary>
    (string Key, string Problem)? FindProblem(ModelSpec spec);

    /// <summary>config.json's sizes in the family's key names, for messages about shapes.</summary>
    string DescribeSizes(ModelSpec spec);

    /// <summary>The canonical shape of a parameter leaf only this family has (null when the leaf is a common one).</summary>
    long[]? ParameterShape(string leaf, ModelSpec spec) => null;

    /// <summary>A model of <paramref name="modelType"/> (one of <see cref="ModelTypes"/>) shaped from family-neutral sizes
    /// with the family's distinctive design, so that architectures can be compared at equal sizes; each family documents
    /// what it chooses. The spec has no problem (<see cref="FindProblem"/>) for sizes that fit the family.</summary>
    ModelSpec Shaped(string modelType, ModelSizes sizes);

    /// <summary>Why a related model_type the family does not read is refused (a multimodal sibling such as gemma3, a
    /// mixture-of-experts variant such as qwen3_moe), or null.</summary>
    string? Refusal(string modelType) => null;
}

/// <summary>The families TrajectoryLab reads, by model_type.</summary>
internal static class ModelFamilies
{
    private static readonly IModelFamily[] All =
    [
        new LlamaFamily(),
        new Gpt2Family(),
        new GptNeoXFamily(),
        new Phi3Family(),
        new GemmaFamily(),
        new Qwen3Family(),
        new Olmo2Family(),
        new MambaFamily(),
    ];

    /// <summary>Every supported model_type, in a stable order.</summary>
    public static IReadOnlyList<string> ModelTypes { get; } = [.. All.SelectMany(f => f.ModelTypes)];

    /// <summary>The family that reads <paramref name="modelType"/>, or null.</summary>
    public static IModelFamily? Find(string modelType) => All.FirstOrDefault(f => f.ModelTypes.Contains(modelType));

    /// <summary>Why an unsupported <paramref name="modelType"/> is refused, when a family knows better than "not supported"
    /// (a multimodal or mixture-of-experts sibling), or any other mixture-of-experts type (its name says moe).</summary>
    public static string? Refusal(string modelType) =>
        All.Select(f => f.Refusal(modelType)).FirstOrDefault(r => r is not null)
        ?? (
            modelType.Contains("moe", StringComparison.OrdinalIgnoreCase)
                ? $"'{modelType}' has mixture-of-experts MLPs, which are not supported; only dense models are"
                : null
        );

    /// <summary>The family of <paramref name="spec"/>.</summary>
    /// <exception cref="ArgumentException">Its model_type is not supported.</exception>
    public static IModelFamily Of(ModelSpec spec) =>
        Find(spec.ModelType) ?? throw new ArgumentException($"model_type '{spec.ModelType}' is not supported", nameof(spec));
}

// GPT-2 (transformers' GPT2Config; Radford et al. 2019): LayerNorm, learned positions, GELU (tanh) MLP, biases on every
// projection, Conv1D weights stored [in, out], checkpoints with or without the transformer. prefix.
using System.Globalization;
using System.Text.Json;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Torch.Models.Families;

/// <summary>gpt2.</summary>
internal sealed class Gpt2Family : IModelFamily
{
    /// <inheritdoc/>
    public IReadOnlyList<string> ModelTypes { get; } = ["gpt2"];

    /// <inheritdoc/>
    /// <remarks>LayerNorm, learned positions (n_positions = the context), a GELU MLP of width hidden with biases, one
    /// key/value head per query head.</remarks>
    public ModelSpec Shaped(string modelType, ModelSizes sizes) =>
        ModelSpec.Gpt2(sizes.VocabSize, sizes.Dim, sizes.Layers, sizes.Heads, sizes.Context, sizes.Hidden, tieWordEmbeddings: sizes.Tied);

    /// <inheritdoc/>
    public string LayerCountKey => "n_layer";

    /// <inheritdoc/>
    public ModelSpec Read(ConfigKeys config, string modelType) => HfConfigReader.ParseGpt2(config);

    /// <inheritdoc/>
    public void Write(Utf8JsonWriter json, ModelSpec spec) => HfConfigWriter.WriteGpt2(json, spec);

    /// <inheritdoc/>
    public IReadOnlyList<WeightMapping> Weights(ModelSpec spec, Func<string, bool>? present = null) => Gpt2WeightMap.For(spec, present);

    /// <inheritdoc/>
    public bool IsIgnorable(string hfName, ModelSpec spec) => Gpt2WeightMap.IsIgnorable(hfName, spec);

    /// <inheritdoc/>
    public (string Key, string Problem)? FindProblem(ModelSpec spec) => spec.FindGpt2Problem();

    /// <inheritdoc/>
    public string DescribeSizes(ModelSpec spec) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"vocab_size {spec.VocabSize}, n_embd {spec.HiddenSize}, n_inner {spec.IntermediateSize}, "
                + $"n_head {spec.NumHeads}, n_positions {spec.MaxPositionEmbeddings}"
        );
}

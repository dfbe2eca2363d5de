// The Llama family: llama, mistral and qwen2 configs (transformers' LlamaConfig, MistralConfig, Qwen2Config): RMSNorm,
// rotary positions with scaling, SwiGLU, grouped-query attention, optional q/k/v(/o) biases, sliding windows.
using System.Globalization;
using System.Text.Json;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Torch.Models.Families;

/// <summary>llama, mistral, qwen2.</summary>
internal sealed class LlamaFamily : IModelFamily
{
    /// <inheritdoc/>
    public IReadOnlyList<string> ModelTypes { get; } = ["llama", "mistral", "qwen2"];

    /// <inheritdoc/>
    public ModelSpec Read(ConfigKeys config, string modelType) => HfConfigReader.ParseLlama(config, modelType);

    /// <inheritdoc/>
    public void Write(Utf8JsonWriter json, ModelSpec spec) => HfConfigWriter.WriteLlama(json, spec);

    /// <inheritdoc/>
    public IReadOnlyList<WeightMapping> Weights(ModelSpec spec, Func<string, bool>? present = null) => LlamaWeightMap.For(spec);

    /// <inheritdoc/>
    public bool IsIgnorable(string hfName, ModelSpec spec) => LlamaWeightMap.IsIgnorable(hfName, spec);

    /// <inheritdoc/>
    public (string Key, string Problem)? FindProblem(ModelSpec spec) => spec.FindLlamaProblem();

    /// <inheritdoc/>
    public string DescribeSizes(ModelSpec spec) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"vocab_size {spec.VocabSize}, hidden_size {spec.HiddenSize}, intermediate_size {spec.IntermediateSize}, "
                + $"num_attention_heads {spec.NumHeads}, num_key_value_heads {spec.NumKvHeads}, head_dim {spec.HeadDim}"
        );
}

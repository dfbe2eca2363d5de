// The Llama family: llama, mistral and qwen2 configs (transformers' LlamaConfig, MistralConfig, Qwen2Config): RMSNorm,
// rotary positions with scaling, SwiGLU, grouped-query attention, optional q/k/v(/o) biases, sliding windows.
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
    public IReadOnlyList<WeightMapping> Weights(ModelSpec spec, Func<string, bool>? present = null) =>
        LlamaStyleWeights.For(spec, LlamaStyleWeights.PreNorms);

    /// <inheritdoc/>
    public bool IsIgnorable(string hfName, ModelSpec spec) => FamilyConventions.IsRotaryBufferOrTiedHead(hfName, spec);

    /// <inheritdoc/>
    public (string Key, string Problem)? FindProblem(ModelSpec spec) => spec.FindLlamaProblem();

    /// <inheritdoc/>
    public string DescribeSizes(ModelSpec spec) => FamilyConventions.AttentionSizes(spec);
}

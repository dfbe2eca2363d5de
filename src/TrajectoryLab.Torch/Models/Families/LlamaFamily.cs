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
    /// <remarks>llama: RMSNorm ε 1e-5, θ 10000, grouped-query attention with the sizes' key/value heads. mistral: the same
    /// with every layer sliding (the sizes' window). qwen2: q/k/v biases, θ 1e6 and ε 1e-6 (Qwen2's).</remarks>
    public ModelSpec Shaped(string modelType, ModelSizes sizes)
    {
        var s = sizes;
        var llama = s.Llama();
        return modelType switch
        {
            "mistral" => llama with { ModelType = modelType, SlidingWindow = s.SlidingWindow },
            "qwen2" => llama with { ModelType = modelType, QkvBias = true, RopeTheta = 1_000_000, RmsNormEps = 1e-6 },
            _ => llama,
        };
    }

    /// <inheritdoc/>
    public string? Refusal(string modelType) =>
        modelType switch
        {
            "mixtral" => "'mixtral' (Mistral with mixture-of-experts MLPs) is not supported; only the dense 'mistral' is",
            "qwen2_moe" => "'qwen2_moe' (Qwen2 with mixture-of-experts MLPs) is not supported; only the dense 'qwen2' is",
            _ => null,
        };

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

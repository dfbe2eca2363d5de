// Hugging Face tensor names ↔ canonical parameter names, for any architecture: the mapping record and the dispatch to
// each architecture's table (LlamaWeightMap, Gpt2WeightMap). HfModelFolder loads and saves through it alone.
namespace TrajectoryLab.Torch.Models;

/// <summary>Where one canonical parameter lives in a Hugging Face checkpoint.</summary>
/// <param name="HfName">The HF tensor holding it.</param>
/// <param name="CanonicalName">The canonical parameter (<see cref="ParameterNames"/>).</param>
/// <param name="Transposed">The HF tensor is [out, in] (nn.Linear), the transpose of the canonical [in, out].</param>
/// <param name="ColumnStart">First column (index on the last dimension) of the canonical parameter that this HF tensor
/// fills, when the parameter holds several HF tensors side by side (q_proj, k_proj and v_proj in W_QKV).</param>
/// <param name="Columns">How many columns it fills; null for the whole parameter.</param>
/// <param name="FromHf">A reordering of the HF tensor (same shape) applied when loading, before any transpose: for layouts
/// whose order differs from the canonical one (GPT-NeoX keeps q, k, v interleaved per head); null for none.</param>
/// <param name="ToHf">Its inverse, applied when saving, after any transpose.</param>
internal sealed record WeightMapping(
    string HfName,
    string CanonicalName,
    bool Transposed,
    long ColumnStart = 0,
    long? Columns = null,
    Func<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>? FromHf = null,
    Func<TorchSharp.torch.Tensor, TorchSharp.torch.Tensor>? ToHf = null
);

/// <summary>The HF weight names of a <see cref="ModelSpec"/>'s architecture.</summary>
internal static class HfWeightMap
{
    /// <summary>Every parameter of a model built from <paramref name="spec"/>, as its family's checkpoints name them.</summary>
    /// <param name="spec">The architecture.</param>
    /// <param name="present">Which tensors a checkpoint holds, when reading one: lets a family follow the naming the
    /// checkpoint actually uses (GPT-2 checkpoints with or without the <c>transformer.</c> prefix).</param>
    public static IReadOnlyList<WeightMapping> For(ModelSpec spec, Func<string, bool>? present = null) =>
        Families.ModelFamilies.Of(spec).Weights(spec, present);

    /// <summary>HF tensors that carry no weights of their own (buffers, a repeated tied head) and are skipped when present.</summary>
    public static bool IsIgnorable(string hfName, ModelSpec spec) => Families.ModelFamilies.Of(spec).IsIgnorable(hfName, spec);
}

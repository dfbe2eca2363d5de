// Hugging Face tensor names ↔ canonical parameter names, for any architecture: the mapping record and the dispatch to
// each architecture's table (LlamaWeightMap, Gpt2WeightMap). HfModelFolder loads and saves through it alone.
namespace TrajectoryLab.Torch.Models;

/// <summary>Where one canonical parameter lives in a Hugging Face checkpoint.</summary>
/// <param name="HfName">The HF tensor holding it.</param>
/// <param name="CanonicalName">The canonical parameter (<see cref="ParameterNames"/>).</param>
/// <param name="Transposed">The HF tensor is [out, in] (nn.Linear), the transpose of the canonical [in, out].</param>
/// <param name="Part">Which of <paramref name="Parts"/> equal slices of the (transposed-back) HF tensor's last dimension
/// the parameter is, for fused tensors such as GPT-2's c_attn (q, k, v side by side).</param>
/// <param name="Parts">How many parameters the HF tensor holds side by side; 1 for most.</param>
internal sealed record WeightMapping(string HfName, string CanonicalName, bool Transposed, int Part = 0, int Parts = 1);

/// <summary>The HF weight names of a <see cref="ModelSpec"/>'s architecture.</summary>
internal static class HfWeightMap
{
    /// <summary>Every parameter of a model built from <paramref name="spec"/>, as written by transformers' save_pretrained.</summary>
    /// <param name="spec">The architecture.</param>
    /// <param name="present">Which tensors a checkpoint holds, when reading one: lets a table follow the naming the
    /// checkpoint actually uses (GPT-2 checkpoints with or without the <c>transformer.</c> prefix).</param>
    public static IReadOnlyList<WeightMapping> For(ModelSpec spec, Func<string, bool>? present = null) => spec.Architecture switch
    {
        ModelArchitecture.Gpt2 => Gpt2WeightMap.For(spec, present),
        _ => LlamaWeightMap.For(spec),
    };

    /// <summary>HF tensors that carry no weights of their own (buffers, a repeated tied head) and are skipped when present.</summary>
    public static bool IsIgnorable(string hfName, ModelSpec spec) => spec.Architecture switch
    {
        ModelArchitecture.Gpt2 => Gpt2WeightMap.IsIgnorable(hfName, spec),
        _ => LlamaWeightMap.IsIgnorable(hfName, spec),
    };
}

// What most families share at the file boundary and would otherwise each write again: the identity and size keys at
// the head of config.json, the check that every size is positive, the check of a partial rotary count, and the
// sentence that describes a grouped-query attention model's sizes in messages. Families whose keys differ (GPT-2's
// n_embd, Mamba's state_size) keep their own.
using System.Globalization;
using System.Text.Json;

namespace TrajectoryLab.Torch.Models.Families;

/// <summary>Helpers shared by the <see cref="IModelFamily"/> implementations.</summary>
internal static class FamilyConventions
{
    /// <summary>Writes architectures (the one class name), model_type, vocab_size, hidden_size, intermediate_size,
    /// num_hidden_layers and num_attention_heads.</summary>
    public static void WriteHead(Utf8JsonWriter json, string architecture, ModelSpec spec)
    {
        json.WriteStartArray("architectures");
        json.WriteStringValue(architecture);
        json.WriteEndArray();
        json.WriteString("model_type", spec.ModelType);
        json.WriteNumber("vocab_size", spec.VocabSize);
        json.WriteNumber("hidden_size", spec.HiddenSize);
        json.WriteNumber("intermediate_size", spec.IntermediateSize);
        json.WriteNumber("num_hidden_layers", spec.NumLayers);
        json.WriteNumber("num_attention_heads", spec.NumHeads);
    }

    /// <summary>The first of <paramref name="sizes"/> that is not positive, as a (key, problem) pair, or null.</summary>
    public static (string Key, string Problem)? NonPositive(params (string Key, long Value)[] sizes) =>
        sizes.FirstOrDefault(s => s.Value <= 0) is { Key: not null } bad
            ? (bad.Key, string.Create(CultureInfo.InvariantCulture, $"must be positive, is {bad.Value}"))
            : null;

    /// <summary>A problem with the number of rotated features per head (design.RotaryDims, all of d_head when null),
    /// reported under <paramref name="key"/>, or null: rotary embeddings rotate pairs, so it must be even, from 2 to
    /// d_head.</summary>
    public static (string Key, string Problem)? RotaryDimsProblem(ModelSpec spec, string key)
    {
        var rotary = spec.Block.RotaryDims ?? spec.HeadDim;
        return rotary <= 0 || rotary > spec.HeadDim || rotary % 2 != 0
            ? (
                key,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"rotates {rotary} of each head's {spec.HeadDim} features; "
                        + $"rotary embeddings need an even number from 2 to {spec.HeadDim}"
                )
            )
            : null;
    }

    /// <summary>The sizes of a grouped-query attention model in config.json's key names.</summary>
    public static string AttentionSizes(ModelSpec spec) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"vocab_size {spec.VocabSize}, hidden_size {spec.HiddenSize}, intermediate_size {spec.IntermediateSize}, "
                + $"num_attention_heads {spec.NumHeads}, num_key_value_heads {spec.NumKvHeads}, head_dim {spec.HeadDim}"
        );

    /// <summary>Tensors of Llama-style checkpoints that hold no weights: stored rotary inverse frequencies, and lm_head
    /// repeated by a tied checkpoint.</summary>
    public static bool IsRotaryBufferOrTiedHead(string hfName, ModelSpec spec) =>
        hfName.EndsWith(".rotary_emb.inv_freq", StringComparison.Ordinal) || (spec.TieWordEmbeddings && hfName == "lm_head.weight");
}

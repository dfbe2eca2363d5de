// Writes a ModelSpec as a Hugging Face config.json that HfConfigReader (and transformers) read back to the same spec.
using System.Text.Json;
using TrajectoryLab.Core.IO;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Models.Families;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>Serialises a <see cref="ModelSpec"/> to config.json.</summary>
public static class HfConfigWriter
{
    /// <summary>Writes <paramref name="spec"/> to <paramref name="filePath"/> atomically, with <paramref name="torchDType"/>
    /// (<c>float32</c>, <c>float16</c> or <c>bfloat16</c>) as the declared weight dtype.</summary>
    /// <remarks>Qwen2 always has q/k/v biases and no output bias; Llama and Mistral express biases with attention_bias,
    /// which sets all four. A spec whose biases fit neither is refused. GPT-2 is written with GPT2Config's keys.</remarks>
    public static void Write(ModelSpec spec, string filePath, string torchDType)
    {
        if (spec.FindProblem() is var (key, problem))
            throw new ArgumentException($"spec key '{key}': {problem}", nameof(spec));
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer, new JsonWriterOptions { Indented = true }))
        {
            json.WriteStartObject();
            ModelFamilies.Of(spec).Write(json, spec);
            json.WriteString("torch_dtype", torchDType);
            if (spec.BosTokenId is { } bos)
                json.WriteNumber("bos_token_id", bos);
            var eos = spec.EosTokenIds ?? [];
            if (eos.Count == 1)
                json.WriteNumber("eos_token_id", eos[0]);
            else if (eos.Count > 1)
            {
                json.WriteStartArray("eos_token_id");
                foreach (var id in eos)
                    json.WriteNumberValue(id);
                json.WriteEndArray();
            }
            json.WriteEndObject();
        }
        buffer.WriteByte((byte)'\n');
        AtomicFile.WriteAllBytes(filePath, buffer.ToArray());
    }

    internal static void WriteGpt2(Utf8JsonWriter json, ModelSpec spec)
    {
        json.WriteStartArray("architectures");
        json.WriteStringValue("GPT2LMHeadModel");
        json.WriteEndArray();
        json.WriteString("model_type", spec.ModelType);
        json.WriteNumber("vocab_size", spec.VocabSize);
        json.WriteNumber("n_embd", spec.HiddenSize);
        json.WriteNumber("n_layer", spec.NumLayers);
        json.WriteNumber("n_head", spec.NumHeads);
        json.WriteNumber("n_positions", spec.MaxPositionEmbeddings);
        json.WriteNumber("n_inner", spec.IntermediateSize);
        json.WriteString("activation_function", "gelu_new");
        json.WriteNumber("layer_norm_epsilon", spec.RmsNormEps);
        json.WriteBoolean("tie_word_embeddings", spec.TieWordEmbeddings);
    }

    internal static void WriteLlama(Utf8JsonWriter json, ModelSpec spec)
    {
        var qwen2 = spec.ModelType == "qwen2";
        if (qwen2 ? !spec.QkvBias || spec.OutputBias : spec.QkvBias != spec.OutputBias)
            throw new ArgumentException(
                $"{spec.ModelType} cannot express QkvBias={spec.QkvBias} with OutputBias={spec.OutputBias}",
                nameof(spec)
            );
        if (!qwen2 && spec.Design?.LayerWindows is not null)
            throw new ArgumentException($"{spec.ModelType} cannot express per-layer sliding windows", nameof(spec));
        FamilyConventions.WriteHead(
            json,
            spec.ModelType switch
            {
                "llama" => "LlamaForCausalLM",
                "mistral" => "MistralForCausalLM",
                _ => "Qwen2ForCausalLM",
            },
            spec
        );
        json.WriteNumber("num_key_value_heads", spec.NumKvHeads);
        json.WriteNumber("head_dim", spec.HeadDim);
        json.WriteString("hidden_act", "silu");
        json.WriteNumber("rms_norm_eps", spec.RmsNormEps);
        LlamaStyleKeys.WriteRope(json, spec);
        json.WriteBoolean("tie_word_embeddings", spec.TieWordEmbeddings);
        if (!qwen2)
            json.WriteBoolean("attention_bias", spec.QkvBias);
        json.WriteNumber("max_position_embeddings", spec.MaxPositionEmbeddings);
        if (qwen2)
            LlamaStyleKeys.WriteQwenWindows(json, spec);
        else if (spec.SlidingWindow is { } window)
            json.WriteNumber("sliding_window", window);
        else if (spec.ModelType == "mistral")
            json.WriteNull("sliding_window"); // absent would mean MistralConfig's default of 4096
    }
}

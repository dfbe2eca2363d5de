// Tiny random Gemma-family models from hand-written config.json files covering every option of gemma, gemma2 and
// gemma3_text (MQA/GQA, head_dim ≠ d_model / heads, tied and untied heads, attention_bias, linear rope scaling, Gemma 1's
// hidden_act "gelu", default and explicit layer_types, soft-caps by default, explicit or null, query_pre_attn_scalar,
// sliding_window_pattern, rope_local_base_freq and Gemma 3's per-layer-type rope_parameters), with helpers to build them
// with random weights and to get the double-precision reference over the saved Hugging Face folder.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Reference;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

internal static class TinyGemmas
{
    private const string Sizes = """
        "vocab_size": 61, "hidden_size": 32, "intermediate_size": 40, "num_attention_heads": 4, "max_position_embeddings": 64
        """;

    /// <summary>Every option once, as config.json text; windows of 3 or 4 are shorter than the test sequences.</summary>
    public static readonly IReadOnlyDictionary<string, string> Configs = new Dictionary<string, string>
    {
        // Gemma 1 as published: hidden_act "gelu" (read as the tanh GELU), MQA, head_dim 12 ≠ 32 / 4, tied head.
        ["gemma-mqa-tied"] = $$$"""
            {"model_type": "gemma", {{{Sizes}}}, "num_hidden_layers": 2, "num_key_value_heads": 1, "head_dim": 12,
             "hidden_act": "gelu", "rms_norm_eps": 1e-6, "rope_theta": 10000.0}
            """,
        ["gemma-untied-bias-linear"] = $$$"""
            {"model_type": "gemma", {{{Sizes}}}, "num_hidden_layers": 2, "num_key_value_heads": 2, "head_dim": 8,
             "hidden_act": "gelu", "hidden_activation": "gelu_pytorch_tanh", "tie_word_embeddings": false, "attention_bias": true,
             "rms_norm_eps": 1e-5, "rope_theta": 500.0, "rope_scaling": {"rope_type": "linear", "factor": 2.0}}
            """,
        // Gemma 2 defaults: layers 0 and 2 slide; soft-caps small enough to bend the scores and logits.
        ["gemma2-default-layers"] = $$$"""
            {"model_type": "gemma2", {{{Sizes}}}, "num_hidden_layers": 3, "num_key_value_heads": 2, "head_dim": 12,
             "hidden_activation": "gelu_pytorch_tanh", "sliding_window": 4, "query_pre_attn_scalar": 20,
             "attn_logit_softcapping": 2.0, "final_logit_softcapping": 3.0}
            """,
        ["gemma2-layer-types-no-caps"] = $$$"""
            {"model_type": "gemma2", {{{Sizes}}}, "num_hidden_layers": 3, "num_key_value_heads": 4, "head_dim": 8,
             "layer_types": ["full_attention", "sliding_attention", "sliding_attention"], "sliding_window": 3,
             "attn_logit_softcapping": null, "final_logit_softcapping": null, "tie_word_embeddings": false,
             "rope_parameters": {"rope_type": "default", "rope_theta": 1000.0}}
            """,
        // Gemma 3 with the older keys: every 3rd layer global, global rotary base 100 scaled linearly, local base 10000.
        ["gemma3-pattern-linear"] = $$$"""
            {"model_type": "gemma3_text", {{{Sizes}}}, "num_hidden_layers": 3, "num_key_value_heads": 2, "head_dim": 8,
             "sliding_window": 4, "sliding_window_pattern": 3, "query_pre_attn_scalar": 8, "rope_theta": 100.0,
             "rope_local_base_freq": 10000.0, "rope_scaling": {"rope_type": "linear", "factor": 4.0}}
            """,
        // Gemma 3 with rope_parameters per layer type, soft-caps, MQA and an untied head.
        ["gemma3-rope-parameters-caps"] = $$$"""
            {"model_type": "gemma3_text", {{{Sizes}}}, "num_hidden_layers": 2, "num_key_value_heads": 1, "head_dim": 12,
             "layer_types": ["sliding_attention", "full_attention"], "sliding_window": 3, "tie_word_embeddings": false,
             "attn_logit_softcapping": 3.0, "final_logit_softcapping": 5.0,
             "rope_parameters": {"full_attention": {"rope_type": "linear", "factor": 2.0, "rope_theta": 1000.0},
                                 "sliding_attention": {"rope_type": "default", "rope_theta": 50.0} } }
            """,
    };

    /// <summary>Names for xunit theories.</summary>
    public static TheoryData<string> Names => new(Configs.Keys);

    /// <summary>The spec config <paramref name="name"/> describes.</summary>
    public static ModelSpec Spec(string name)
    {
        using var folder = new TempFolder();
        return HfConfigReader.Read(WriteConfig(folder.Path, name));
    }

    /// <summary>Writes config <paramref name="name"/> as config.json into <paramref name="folder"/>; returns its path.</summary>
    public static string WriteConfig(string folder, string name)
    {
        var path = Path.Combine(folder, HfConfigReader.FileName);
        File.WriteAllText(path, Configs[name]);
        return path;
    }

    /// <summary>A model with every parameter random (norm offsets nonzero), so each one matters.</summary>
    public static DecoderModel Create(string name, long seed = 7, ScalarType dtype = ScalarType.Float32)
    {
        var model = new DecoderModel(Spec(name), dtype);
        model.InitializeRandom(seed, std: 0.2);
        using var noGrad = no_grad();
        // A private stream with the seed the global one had: tests run in parallel, and draws from the shared generator
        // could interleave with another test's.
        using var draws = new Generator((ulong)(seed + 1));
        foreach (var (n, p) in model.named_parameters())
            if (n.EndsWith(".w", StringComparison.Ordinal) || n.Contains(".b_", StringComparison.Ordinal))
                p.add_(randn(p.shape, dtype: p.dtype, device: p.device, generator: draws).mul_(0.3));
        return model;
    }

    /// <summary>Saves <paramref name="model"/> as a Hugging Face folder with config <paramref name="name"/>'s own config.json
    /// (its defaults and spellings, not the writer's) into <paramref name="folder"/>.</summary>
    public static void Save(DecoderModel model, string name, string folder)
    {
        HfModelFolder.Save(model, folder);
        WriteConfig(folder, name);
    }

    /// <summary>The reference over the folder <paramref name="model"/> saves with config <paramref name="name"/>'s config.json,
    /// its tensors read back by Hugging Face name.</summary>
    public static ReferenceGemma Reference(DecoderModel model, string name)
    {
        using var folder = new TempFolder();
        Save(model, name, folder.Path);
        return new ReferenceGemma(
            folder.File(HfConfigReader.FileName),
            TinyGpt2s.ReadAll(folder.File(SafetensorsCheckpoint.SingleFileName))
        );
    }
}

// Gemma folders: configs as published on the Hugging Face hub read to the right spec and design (defaults of GemmaConfig,
// Gemma2Config, Gemma3TextConfig), save then load is bit-exact (weights, spec, logits), config.json round-trips, and
// what is not implemented is refused naming its key (the multimodal gemma3 model_type included).
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Models.Families;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class GemmaFolderTests
{
    private static ModelSpec ReadJson(TempFolder folder, string json)
    {
        var path = folder.File(HfConfigReader.FileName);
        File.WriteAllText(path, json);
        return HfConfigReader.Read(path);
    }

    /// <summary>Specs are records, but a design's LayerWindows list compares by reference: compare it by its elements.</summary>
    internal static void AssertSameSpec(ModelSpec expected, ModelSpec actual)
    {
        Assert.Equal(expected with { Design = null, EosTokenIds = null }, actual with { Design = null, EosTokenIds = null });
        Assert.Equal(expected.EosTokenIds ?? [], actual.EosTokenIds ?? []);
        Assert.Equal(expected.Block with { LayerWindows = null }, actual.Block with { LayerWindows = null });
        Assert.Equal(expected.Block.LayerWindows ?? [], actual.Block.LayerWindows ?? []);
    }

    [Fact]
    public void ReadsGemma2bAsPublished()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, """
            {"architectures":["GemmaForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":2,"eos_token_id":1,
             "head_dim":256,"hidden_act":"gelu","hidden_size":2048,"initializer_range":0.02,"intermediate_size":16384,
             "max_position_embeddings":8192,"model_type":"gemma","num_attention_heads":8,"num_hidden_layers":18,
             "num_key_value_heads":1,"pad_token_id":0,"rms_norm_eps":1e-06,"rope_scaling":null,"rope_theta":10000.0,
             "torch_dtype":"bfloat16","transformers_version":"4.38.0.dev0","use_cache":true,"vocab_size":256000}
            """);
        Assert.Equal((8, 1, 256, true), (spec.NumHeads, spec.NumKvHeads, spec.HeadDim, spec.TieWordEmbeddings));
        Assert.Equal(GemmaFamily.DesignFor("gemma", 2048), spec.Block);
        var design = spec.Block;
        Assert.Equal((NormKind.RmsOffset, MlpKind.GeGluTanh, ResidualLayout.PreNorm), (design.Norm, design.Mlp, design.Residual));
        Assert.Equal(Math.Sqrt(2048), spec.Block.EmbeddingScale);
        Assert.Null(spec.Block.AttentionScale); // 1/√head_dim
        Assert.Equal((2, 1, 10000.0), (spec.BosTokenId!.Value, spec.EosTokenIds![0], spec.RopeTheta));
    }

    [Fact]
    public void ReadsGemma2_2bAsPublished()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, """
            {"architectures":["Gemma2ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"attn_logit_softcapping":50.0,
             "bos_token_id":2,"cache_implementation":"hybrid","eos_token_id":1,"final_logit_softcapping":30.0,"head_dim":256,
             "hidden_act":"gelu_pytorch_tanh","hidden_activation":"gelu_pytorch_tanh","hidden_size":2304,"initializer_range":0.02,
             "intermediate_size":9216,"max_position_embeddings":8192,"model_type":"gemma2","num_attention_heads":8,
             "num_hidden_layers":26,"num_key_value_heads":4,"pad_token_id":0,"query_pre_attn_scalar":256,"rms_norm_eps":1e-06,
             "rope_theta":10000.0,"sliding_window":4096,"torch_dtype":"float32","transformers_version":"4.42.4","use_cache":true,
             "vocab_size":256000}
            """);
        var design = spec.Block;
        Assert.Equal((ResidualLayout.Sandwich, QkNormKind.None), (design.Residual, design.QkNorm));
        Assert.Equal((1.0 / 16, 50.0, 30.0), (design.AttentionScale!.Value, design.AttentionSoftcap!.Value, design.FinalSoftcap!.Value));
        Assert.Equal(Enumerable.Range(0, 26).Select(i => i % 2 == 0 ? 4096 : (int?)null), design.LayerWindows!); // layer 0 slides
        Assert.Null(design.LocalRopeTheta);
        Assert.Null(spec.SlidingWindow);
    }

    [Fact]
    public void ReadsGemma3_1bAsPublished()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, """
            {"architectures":["Gemma3ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"attn_logit_softcapping":null,
             "bos_token_id":2,"cache_implementation":"hybrid","eos_token_id":[1,106],"final_logit_softcapping":null,"head_dim":256,
             "hidden_activation":"gelu_pytorch_tanh","hidden_size":1152,"initializer_range":0.02,"intermediate_size":6912,
             "max_position_embeddings":32768,"model_type":"gemma3_text","num_attention_heads":4,"num_hidden_layers":26,
             "num_key_value_heads":1,"pad_token_id":0,"query_pre_attn_scalar":256,"rms_norm_eps":1e-06,"rope_local_base_freq":10000,
             "rope_scaling":null,"rope_theta":1000000,"sliding_window":512,"sliding_window_pattern":6,"torch_dtype":"bfloat16",
             "transformers_version":"4.50.0.dev0","use_cache":true,"vocab_size":262144}
            """);
        var design = spec.Block;
        Assert.Equal((QkNormKind.PerHead, 10000.0, 1e6), (design.QkNorm, design.LocalRopeTheta!.Value, spec.RopeTheta));
        Assert.Null(design.AttentionSoftcap);
        Assert.Null(design.FinalSoftcap);
        Assert.Equal(Enumerable.Range(0, 26).Select(i => i % 6 == 5 ? null : (int?)512), design.LayerWindows!); // 5, 11, … global
        Assert.Equal([1, 106], spec.EosTokenIds!);
    }

    [Fact]
    public void ReadsGemma3RopeParametersPerLayerTypeAndLinearScalingOfTheGlobalLayers()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, """
            {"model_type":"gemma3_text","vocab_size":10,"hidden_size":8,"intermediate_size":8,"num_hidden_layers":2,
             "num_attention_heads":2,"num_key_value_heads":1,"head_dim":4,"layer_types":["sliding_attention","full_attention"],
             "rope_parameters":{"full_attention":{"rope_type":"linear","factor":8.0,"rope_theta":1000000.0},
                                "sliding_attention":{"rope_type":"default","rope_theta":10000.0}}}
            """);
        Assert.Equal(new RopeScaling(RopeScalingKind.Linear, 8), spec.RopeScaling);
        Assert.Equal((1e6, 1e4), (spec.RopeTheta, spec.Block.LocalRopeTheta!.Value));
        Assert.Equal([4096, null], spec.Block.LayerWindows!);
        Assert.Equal(131_072, spec.MaxPositionEmbeddings);
    }

    [Theory]
    [MemberData(nameof(TinyGemmas.Names), MemberType = typeof(TinyGemmas))]
    public void ConfigWriteThenReadGivesTheSameSpec(string config)
    {
        using var folder = new TempFolder();
        var spec = TinyGemmas.Spec(config) with { TorchDType = "bfloat16", BosTokenId = 2, EosTokenIds = [1, 106] };
        var path = folder.File(HfConfigReader.FileName);
        HfConfigWriter.Write(spec, path, "bfloat16");
        AssertSameSpec(spec, HfConfigReader.Read(path));
    }

    [Theory]
    [MemberData(nameof(TinyGemmas.Names), MemberType = typeof(TinyGemmas))]
    public void SaveThenLoadIsBitExact(string config)
    {
        using var model = TinyGemmas.Create(config);
        using var folder = new TempFolder();
        TinyGemmas.Save(model, config, folder.Path); // the hand-written config.json, read back to the same spec
        using var loaded = HfModelFolder.Load(folder.Path);
        AssertSameSpec(model.Spec, loaded.Spec);
        var saved = model.named_parameters().ToDictionary(p => p.name, p => p.parameter);
        var read = loaded.named_parameters().ToList();
        Assert.Equal(saved.Keys.Order(), read.Select(p => p.name).Order());
        foreach (var (name, parameter) in read)
            Assert.Equal(TinyLlamas.ToDoubles(saved[name]), TinyLlamas.ToDoubles(parameter));
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 1, length: 7, seed: 4);
        Assert.Equal(TinyLlamas.Logits(model, tokens), TinyLlamas.Logits(loaded, tokens));

        HfModelFolder.Save(loaded, folder.Path); // the writer's config.json this time
        using var again = HfModelFolder.Load(folder.Path);
        AssertSameSpec(model.Spec with { TorchDType = "float32" }, again.Spec);
        Assert.Equal(TinyLlamas.Logits(model, tokens), TinyLlamas.Logits(again, tokens));
    }

    [Fact]
    public void LanguageModelLoadsAGemmaFolder()
    {
        using var model = TinyGemmas.Create("gemma3-pattern-linear");
        using var folder = new TempFolder();
        TinyGemmas.Save(model, "gemma3-pattern-linear", folder.Path);
        using var lm = LanguageModel.Load(folder.Path);
        Assert.Equal("gemma3_text", lm.Spec.ModelType);
    }

    [Fact]
    public void ATiedCheckpointMayRepeatTheHeadAndOldOnesStoreRotaryFrequencies()
    {
        using var model = TinyGemmas.Create("gemma-mqa-tied");
        using var folder = new TempFolder();
        TinyGemmas.Save(model, "gemma-mqa-tied", folder.Path);
        var weights = folder.File(SafetensorsCheckpoint.SingleFileName);
        var tensors = TinyGpt2s.ReadAll(weights);
        Dictionary<string, long[]> shapes;
        using (var reader = SafetensorsReader.Open(weights))
            shapes = reader.Header.Tensors.ToDictionary(t => t.Name, t => t.Shape);
        static float[] Floats(double[] values) => [.. values.Select(v => (float)v)];
        var writer = new SafetensorsWriter();
        foreach (var (name, values) in tensors)
            writer.Add(name, Floats(values), shapes[name]);
        writer.Add("lm_head.weight", Floats(tensors["model.embed_tokens.weight"]), shapes["model.embed_tokens.weight"]);
        writer.Add("model.layers.0.self_attn.rotary_emb.inv_freq", new float[6], 6);
        writer.Save(weights);
        using var loaded = HfModelFolder.Load(folder.Path);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 1, length: 5, seed: 6);
        Assert.Equal(TinyLlamas.Logits(model, tokens), TinyLlamas.Logits(loaded, tokens));
    }

    [Theory]
    [InlineData("gemma3", "\"text_config\": {}", "key 'model_type'", "only its text model is supported")]
    [InlineData("gemma", "\"hidden_activation\": \"gelu\"", "key 'hidden_activation'", "'gelu' is not supported")]
    [InlineData("gemma2", "\"hidden_act\": \"gelu\"", "key 'hidden_act'", "only the tanh GELU")]
    [InlineData("gemma", "\"hidden_act\": \"silu\"", "key 'hidden_act'", "'silu' is not supported")]
    [InlineData("gemma2", "\"use_bidirectional_attention\": true", "key 'use_bidirectional_attention'", "only causal")]
    [InlineData("gemma", "\"rope_scaling\": {\"rope_type\": \"yarn\", \"factor\": 4}", "key 'rope_scaling.rope_type'", "'yarn'")]
    [InlineData("gemma2", "\"layer_types\": [\"sliding_attention\", \"chunked_attention\"]", "key 'layer_types'", "'chunked_attention'")]
    [InlineData("gemma2", "\"layer_types\": [\"sliding_attention\"]", "key 'layer_types'", "1 entries for num_hidden_layers 2")]
    [InlineData("gemma2", "\"sliding_window\": null", "key 'sliding_window'", "is null")]
    [InlineData("gemma2", "\"sliding_window\": 0", "key 'sliding_window'", "must be positive")]
    [InlineData("gemma3_text", "\"sliding_window_pattern\": 0", "key 'sliding_window_pattern'", "must be positive")]
    [InlineData("gemma3_text", "\"rope_parameters\": {\"sliding_attention\": {\"rope_type\": \"linear\", \"factor\": 2}}",
        "key 'rope_parameters.sliding_attention.rope_type'", "sliding layers")]
    [InlineData("gemma2", "\"query_pre_attn_scalar\": 0", "key 'query_pre_attn_scalar'", "must be positive")]
    [InlineData("gemma2", "\"attn_logit_softcapping\": -1", "key 'attn_logit_softcapping'", "must be positive")]
    public void UnsupportedConfigsAreRefusedNamingTheKey(string modelType, string keys, string key, string message)
    {
        using var folder = new TempFolder();
        var json = $$"""
            {"model_type": "{{modelType}}", "vocab_size": 10, "hidden_size": 8, "intermediate_size": 8, "num_hidden_layers": 2,
             "num_attention_heads": 2, "num_key_value_heads": 1, "head_dim": 4, {{keys}} }
            """;
        var e = Assert.Throws<CheckpointException>(() => ReadJson(folder, json));
        Assert.Contains(key, e.Message);
        Assert.Contains(message, e.Message);
    }
}

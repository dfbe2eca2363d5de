// Phi-3 end to end: the TorchSharp model against the independent double-precision reference over its Hugging Face
// tensors (logits and every hook point within 1e-4, absolute and relative), the fused qkv_proj and gate_up_proj read
// tensor by tensor, the sliding window as transformers' Phi-3 applies it (W = sliding_window positions, the value as
// given), cached decoding and batching, bit-exact save/load and config.json round trips, Phi-3-mini's and Phi-4-mini-like
// configs, and the options that are refused.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class Phi3Tests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Theory]
    [MemberData(nameof(TinyPhi3s.Names), MemberType = typeof(TinyPhi3s))]
    public void LogitsAndEveryHookPointMatchTheReference(string config)
    {
        using var model = TinyPhi3s.Create(config, seed: 11);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 12, seed: 5);
        var e = FamilyParity.Check(model, tokens, TinyPhi3s.Reference(model).Forward, Tolerance, config);
        output.WriteLine(e.Describe(config));
    }

    [Theory]
    [MemberData(nameof(TinyPhi3s.Names), MemberType = typeof(TinyPhi3s))]
    public void ParametersCarryTheCanonicalNamesAndShapes(string config)
    {
        using var model = new DecoderModel(TinyPhi3s.Specs[config]);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        var map = HfWeightMap.For(model.Spec);
        Assert.Equal(map.Select(m => m.CanonicalName).Order(), parameters.Keys.Order()); // qkv_proj is W_QKV, gate_up_proj W_gate_in
        foreach (var m in map)
            Assert.Equal(HfModelFolder.CanonicalShape(m.CanonicalName, model.Spec), parameters[m.CanonicalName]);
    }

    /// <summary>qkv_proj's row r is W_QKV's column r (q, then k, then v) and gate_up_proj's row r is W_gate_in's column r
    /// (gate, then up): the fused tensors are the canonical ones transposed, nothing reordered.</summary>
    [Fact]
    public void FusedProjectionsAreTheCanonicalOnesTransposed()
    {
        using var model = TinyPhi3s.Create("phi3-gqa-partial-tied");
        var hf = FamilyParity.HfTensors(model);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => TinyLlamas.ToDoubles(p.parameter));
        var d = model.Spec.HiddenSize;
        // (n_heads + 2·n_kv_heads)·d_head = (4 + 2·2)·8 rows of q, k, v; 2·d_mlp = 2·48 rows of gate and up.
        (string HfName, string Leaf, int Width)[] fusedTensors =
            [("self_attn.qkv_proj.weight", ParameterNames.WQkv, 64), ("mlp.gate_up_proj.weight", ParameterNames.WGateIn, 96)];
        foreach (var (hfName, leaf, width) in fusedTensors)
        {
            var fused = hf[$"model.layers.1.{hfName}"]; // [width, d_model]
            var canonical = parameters[ParameterNames.Block(1, leaf)]; // [d_model, width]
            Assert.Equal(width * d, fused.Length);
            for (var r = 0; r < width; r++)
                for (var i = 0; i < d; i++) Assert.Equal(fused[r * d + i], canonical[i * width + r]);
        }
    }

    /// <summary>transformers' Phi-3 masks key k for query q unless q − W &lt; k ≤ q (masking_utils' sliding_window_overlay,
    /// as Mistral): the window holds W positions, the query's own included, with W = config.json's sliding_window.</summary>
    [Fact]
    public void SlidingWindowHoldsWPositionsAsConfigJsonGivesIt()
    {
        using (var folder = new TempFolder())
            Assert.Equal(2047, ReadJson(folder, Phi3Mini).SlidingWindow); // used as is, not minus one
        using var model = TinyPhi3s.Create("phi3-window-head-dim"); // W = 4
        var pattern = Array.Empty<double>();
        model.Hook(HookNames.AttnPattern(0)).register_forward_hook((_, _, result) =>
        {
            pattern = TinyLlamas.ToDoubles(result);
            return result;
        });
        const int n = 10;
        TinyLlamas.Logits(model, TinyLlamas.Tokens(model.Spec, 1, n, seed: 3));
        for (var head = 0; head < model.Spec.NumHeads; head++)
            for (var q = 0; q < n; q++)
                for (var k = 0; k < n; k++)
                {
                    var weight = pattern[(head * n + q) * n + k];
                    if (k <= q && k > q - 4)
                        Assert.True(weight > 0, $"query {q} must see key {k}");
                    else
                        Assert.Equal(0.0, weight);
                }
    }

    [Theory]
    [MemberData(nameof(TinyPhi3s.Names), MemberType = typeof(TinyPhi3s))]
    public void CachedDecodingEqualsFullRecomputation(string config)
    {
        using var model = TinyPhi3s.Create(config);
        DecodingTests.AssertCachedDecodingEqualsFullRecomputation(model);
    }

    [Theory]
    [MemberData(nameof(TinyPhi3s.Names), MemberType = typeof(TinyPhi3s))]
    public void BatchEqualsOneAtATime(string config)
    {
        using var model = TinyPhi3s.Create(config);
        DecodingTests.AssertBatchEqualsOneAtATime(model);
    }

    [Fact]
    public void BatchedCachedDecodingEqualsOneAtATime()
    {
        using var model = TinyPhi3s.Create("phi3-window-head-dim");
        DecodingTests.AssertBatchedGreedyEqualsOneAtATime(model);
    }

    [Theory]
    [InlineData("phi3-mha", ScalarType.Float32)]
    [InlineData("phi3-gqa-partial-tied", ScalarType.Float32)]
    [InlineData("phi3-window-head-dim", ScalarType.BFloat16)]
    public void SaveThenLoadIsBitExact(string config, ScalarType dtype)
    {
        using var folder = new TempFolder();
        using var model = TinyPhi3s.Create(config, dtype: dtype);
        HfModelFolder.Save(model, folder.Path);
        using var loaded = HfModelFolder.Load(folder.Path, dtype);
        Assert.Equal(model.Spec with { EosTokenIds = null }, loaded.Spec with { TorchDType = null, EosTokenIds = null });
        SavedWeights.AssertSame(model, loaded);
        var tokens = TinyLlamas.Tokens(model.Spec, 2, 8, seed: 4);
        Assert.Equal(TinyLlamas.Logits(model, tokens), TinyLlamas.Logits(loaded, tokens));
    }

    [Theory]
    [MemberData(nameof(TinyPhi3s.Names), MemberType = typeof(TinyPhi3s))]
    public void ConfigRoundTrips(string config)
    {
        using var folder = new TempFolder();
        var spec = TinyPhi3s.Specs[config] with { TorchDType = "bfloat16", BosTokenId = 1, EosTokenIds = [32000, 32007] };
        var path = folder.File(HfConfigReader.FileName);
        HfConfigWriter.Write(spec, path, "bfloat16");
        var read = HfConfigReader.Read(path);
        Assert.Equal(spec with { EosTokenIds = null }, read with { EosTokenIds = null });
        Assert.Equal([32000, 32007], read.EosTokenIds!);
    }

    private const string Phi3Mini = """
        {"_name_or_path":"Phi-3-mini-4k-instruct","architectures":["Phi3ForCausalLM"],"attention_dropout":0.0,"bos_token_id":1,
         "embd_pdrop":0.0,"eos_token_id":32000,"hidden_act":"silu","hidden_size":3072,"initializer_range":0.02,"intermediate_size":8192,
         "max_position_embeddings":4096,"model_type":"phi3","num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":32,
         "original_max_position_embeddings":4096,"pad_token_id":32000,"resid_pdrop":0.0,"rms_norm_eps":1e-05,"rope_scaling":null,
         "rope_theta":10000.0,"sliding_window":2047,"tie_word_embeddings":false,"torch_dtype":"bfloat16","transformers_version":"4.40.2",
         "use_cache":true,"attention_bias":false,"vocab_size":32064}
        """;

    [Fact]
    public void ReadsPhi3MiniConfig()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, Phi3Mini);
        Assert.Equal((32, 32, 96, 8192), (spec.NumHeads, spec.NumKvHeads, spec.HeadDim, spec.IntermediateSize));
        Assert.Equal(BlockDesign.Llama, spec.Block);
        Assert.Equal((10000.0, 1e-5, 4096, 2047), (spec.RopeTheta, spec.RmsNormEps, spec.MaxPositionEmbeddings, spec.SlidingWindow));
        Assert.Equal((1, "bfloat16"), (spec.BosTokenId, spec.TorchDType));
        Assert.Equal([32000], spec.EosTokenIds!);
        Assert.False(spec.QkvBias || spec.OutputBias || spec.TieWordEmbeddings);
    }

    [Fact]
    public void ReadsPartialRotaryTiedHeadAndNewStyleRopeParameters()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, Config("""
            "num_key_value_heads":2,"tie_word_embeddings":true,"partial_rotary_factor":0.75,"rope_theta":250000.0
            """));
        Assert.Equal((2, 12, 250000.0), (spec.NumKvHeads, spec.Block.RotaryDims, spec.RopeTheta)); // int(16 · 0.75) = 12
        Assert.True(spec.TieWordEmbeddings);
        Assert.Null(spec.SlidingWindow);
        var newStyle = ReadJson(folder, Config("""
            "rope_parameters":{"rope_type":"default","rope_theta":500.0,"partial_rotary_factor":0.5},"head_dim":8
            """));
        Assert.Equal((8, 4, 500.0), (newStyle.HeadDim, newStyle.Block.RotaryDims, newStyle.RopeTheta));
    }

    [Theory]
    [InlineData("\"rope_scaling\":{\"type\":\"longrope\",\"short_factor\":[1,1,1,1,1,1,1,1],\"long_factor\":[2,2,2,2,2,2,2,2]}",
        "key 'rope_scaling.type'", "'longrope' is not supported (only unscaled")]
    [InlineData("\"rope_scaling\":{\"type\":\"su\",\"short_factor\":[1],\"long_factor\":[2]}", "key 'rope_scaling.type'",
        "'su' is not supported")]
    [InlineData("\"rope_scaling\":{\"rope_type\":\"yarn\",\"factor\":4}", "key 'rope_scaling.rope_type'", "'yarn' is not supported")]
    [InlineData("\"rope_parameters\":{\"rope_type\":\"longrope\",\"rope_theta\":10000}", "key 'rope_parameters.rope_type'",
        "'longrope' is not supported")]
    [InlineData("\"rope_scaling\":{\"rope_type\":\"linear\",\"factor\":2}", "key 'rope_scaling.rope_type'", "'linear' is not supported")]
    [InlineData("\"hidden_act\":\"gelu_pytorch_tanh\"", "key 'hidden_act'", "only silu")]
    [InlineData("\"partial_rotary_factor\":1.25", "key 'partial_rotary_factor'", "must be in (0, 1]")]
    [InlineData("\"partial_rotary_factor\":0.2", "key 'partial_rotary_factor'", "rotates 3 of each head's 16 features")]
    [InlineData("\"num_key_value_heads\":3", "key 'num_key_value_heads'", "does not divide num_attention_heads 2")]
    [InlineData("\"sliding_window\":0", "key 'sliding_window'", "must be positive")]
    public void UnsupportedOptionsAreRefusedNamingTheKey(string keys, string key, string message)
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<CheckpointException>(() => ReadJson(folder, Config(keys)));
        Assert.Contains(key, e.Message);
        Assert.Contains(message, e.Message);
    }

    /// <summary>A small phi3 config.json (d_head 16) with <paramref name="keys"/> added.</summary>
    private static string Config(string keys) =>
        """{"model_type":"phi3","hidden_size":32,"num_attention_heads":2,"intermediate_size":8,"num_hidden_layers":1,"vocab_size":5,"""
        + keys.Trim() + "}";

    private static ModelSpec ReadJson(TempFolder folder, string json)
    {
        var path = folder.File(HfConfigReader.FileName);
        File.WriteAllText(path, json);
        return HfConfigReader.Read(path);
    }
}

// GPT-NeoX end to end: the TorchSharp model against the independent double-precision reference over its Hugging Face
// tensors (logits and every hook point within 1e-4, absolute and relative), the per-head interleaving of
// query_key_value checked tensor by tensor, cached decoding and batching, bit-exact save/load and config.json round
// trips, Pythia's and new-style configs, the buffers old checkpoints carry, and the options that are refused.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class GptNeoXTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Theory]
    [MemberData(nameof(TinyGptNeoXs.Names), MemberType = typeof(TinyGptNeoXs))]
    public void LogitsAndEveryHookPointMatchTheReference(string config)
    {
        using var model = TinyGptNeoXs.Create(config, seed: 11);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 12, seed: 5);
        var e = FamilyParity.Check(model, tokens, TinyGptNeoXs.Reference(model).Forward, Tolerance, config);
        output.WriteLine(e.Describe(config));
    }

    [Theory]
    [MemberData(nameof(TinyGptNeoXs.Names), MemberType = typeof(TinyGptNeoXs))]
    public void ParametersCarryTheCanonicalNamesAndShapes(string config)
    {
        using var model = new DecoderModel(TinyGptNeoXs.Specs[config]);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        var map = HfWeightMap.For(model.Spec);
        Assert.Equal(map.Select(m => m.CanonicalName).Order(), parameters.Keys.Order()); // one HF tensor per parameter
        foreach (var m in map)
            Assert.Equal(HfModelFolder.CanonicalShape(m.CanonicalName, model.Spec), parameters[m.CanonicalName]);
    }

    /// <summary>query_key_value's row 3·h·d_head + j·d_head + e (head h; j = 0, 1, 2 for q, k, v) is the canonical W_QKV's
    /// column j·d_model + h·d_head + e, and the same for its bias.</summary>
    [Fact]
    public void QueryKeyValueRowsAreInterleavedPerHead()
    {
        using var model = TinyGptNeoXs.Create("neox-rope-linear");
        var hf = FamilyParity.HfTensors(model);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => TinyLlamas.ToDoubles(p.parameter));
        var (d, hd, heads) = (model.Spec.HiddenSize, model.Spec.HeadDim, model.Spec.NumHeads);
        var weight = hf["gpt_neox.layers.1.attention.query_key_value.weight"]; // [3·d_model, d_model]
        var bias = hf["gpt_neox.layers.1.attention.query_key_value.bias"];     // [3·d_model]
        var wQkv = parameters[ParameterNames.Block(1, ParameterNames.WQkv)];       // [d_model, 3·d_model]
        var bQkv = parameters[ParameterNames.Block(1, ParameterNames.BQkv)];       // [3·d_model]
        for (var h = 0; h < heads; h++)
            for (var j = 0; j < 3; j++)
                for (var e = 0; e < hd; e++)
                {
                    int row = (3 * h + j) * hd + e, column = j * d + h * hd + e;
                    Assert.Equal(bias[row], bQkv[column]);
                    for (var i = 0; i < d; i++) Assert.Equal(weight[row * d + i], wQkv[i * 3 * d + column]);
                }
    }

    [Theory]
    [MemberData(nameof(TinyGptNeoXs.CachedNames), MemberType = typeof(TinyGptNeoXs))]
    public void CachedDecodingEqualsFullRecomputation(string config)
    {
        using var model = TinyGptNeoXs.Create(config);
        DecodingTests.AssertCachedDecodingEqualsFullRecomputation(model);
    }

    [Theory]
    [MemberData(nameof(TinyGptNeoXs.Names), MemberType = typeof(TinyGptNeoXs))]
    public void BatchEqualsOneAtATime(string config)
    {
        using var model = TinyGptNeoXs.Create(config);
        DecodingTests.AssertBatchEqualsOneAtATime(model);
    }

    [Fact]
    public void BatchedCachedDecodingEqualsOneAtATime()
    {
        using var model = TinyGptNeoXs.Create("neox-parallel-partial");
        DecodingTests.AssertBatchedGreedyEqualsOneAtATime(model);
    }

    [Theory]
    [InlineData("neox-parallel-partial", ScalarType.Float32)]
    [InlineData("neox-sequential-tanh-tied-no-bias", ScalarType.Float32)]
    [InlineData("neox-rope-linear", ScalarType.BFloat16)]
    [InlineData("neox-rope-dynamic", ScalarType.Float32)]
    public void SaveThenLoadIsBitExact(string config, ScalarType dtype)
    {
        using var folder = new TempFolder();
        using var model = TinyGptNeoXs.Create(config, dtype: dtype);
        HfModelFolder.Save(model, folder.Path);
        using var loaded = HfModelFolder.Load(folder.Path, dtype);
        Assert.Equal(model.Spec with { EosTokenIds = null }, loaded.Spec with { TorchDType = null, EosTokenIds = null });
        SavedWeights.AssertSame(model, loaded);
        var tokens = TinyLlamas.Tokens(model.Spec, 2, 8, seed: 4);
        Assert.Equal(TinyLlamas.Logits(model, tokens), TinyLlamas.Logits(loaded, tokens));
    }

    [Theory]
    [MemberData(nameof(TinyGptNeoXs.Names), MemberType = typeof(TinyGptNeoXs))]
    public void ConfigRoundTrips(string config)
    {
        using var folder = new TempFolder();
        var spec = TinyGptNeoXs.Specs[config] with { TorchDType = "float32", BosTokenId = 0, EosTokenIds = [0] };
        var path = folder.File(HfConfigReader.FileName);
        HfConfigWriter.Write(spec, path, "float32");
        var read = HfConfigReader.Read(path);
        Assert.Equal(spec with { EosTokenIds = null }, read with { EosTokenIds = null });
        Assert.Equal([0], read.EosTokenIds!);
    }

    /// <summary>The rotary fraction reads back to the same count of rotated features for every d_head and count, though
    /// count / d_head times d_head can fall one ulp short of the count (1/49 · 49 = 0.9999999999999999).</summary>
    [Fact]
    public void RotaryFractionReadsBackToTheSameCount()
    {
        for (var headDim = 1; headDim <= 256; headDim++)
            for (var dims = 1; dims <= headDim; dims++)
                Assert.Equal(dims, (int)(headDim * TrajectoryLab.Torch.Models.Families.RopeKeys.Factor(dims, headDim)));
        var headDims = 49;
        Assert.Equal(0, (int)(headDims * (1.0 / headDims))); // why the plain quotient is not enough
    }

    [Fact]
    public void ReadsPythiaConfig()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, """
            {"architectures":["GPTNeoXForCausalLM"],"bos_token_id":0,"classifier_dropout":0.1,"eos_token_id":0,"hidden_act":"gelu",
             "hidden_size":512,"initializer_range":0.02,"intermediate_size":2048,"layer_norm_eps":1e-05,"max_position_embeddings":2048,
             "model_type":"gpt_neox","num_attention_heads":8,"num_hidden_layers":6,"rotary_emb_base":10000,"rotary_pct":0.25,
             "tie_word_embeddings":false,"torch_dtype":"float16","transformers_version":"4.24.0","use_cache":true,
             "use_parallel_residual":true,"vocab_size":50304}
            """);
        Assert.Equal((8, 8, 64, 16), (spec.NumHeads, spec.NumKvHeads, spec.HeadDim, spec.Block.RotaryDims));
        Assert.Equal((ResidualLayout.Parallel, MlpKind.GeluExact, NormKind.Layer), (spec.Block.Residual, spec.Block.Mlp, spec.Block.Norm));
        Assert.Equal((10000.0, 1e-5, 2048, "float16"), (spec.RopeTheta, spec.RmsNormEps, spec.MaxPositionEmbeddings, spec.TorchDType));
        Assert.True(spec.QkvBias && spec.OutputBias && spec.Block.MlpBias);
        Assert.False(spec.TieWordEmbeddings);
        Assert.Null(spec.RopeScaling);
    }

    [Fact]
    public void ReadsDefaultsAndNewStyleRopeParameters()
    {
        using var folder = new TempFolder();
        var defaults = ReadJson(folder, """
            {"model_type":"gpt_neox","hidden_size":64,"num_attention_heads":4,"intermediate_size":256,"num_hidden_layers":2,
             "vocab_size":100}
            """);
        // rotary_pct 0.25 of d_head 16, rotary_emb_base 10000, 2048 positions
        Assert.Equal((4, 10000.0, 2048), (defaults.Block.RotaryDims, defaults.RopeTheta, defaults.MaxPositionEmbeddings));
        var newStyle = ReadJson(folder, """
            {"model_type":"gpt_neox","hidden_size":64,"num_attention_heads":4,"intermediate_size":256,"num_hidden_layers":2,
             "vocab_size":100,
             "rope_parameters":{"rope_type":"linear","factor":2.0,"rope_theta":500.0,"partial_rotary_factor":0.5},
             "use_parallel_residual":false,"attention_bias":false,"hidden_act":"gelu_fast","tie_word_embeddings":true}
            """);
        Assert.Equal((8, 500.0), (newStyle.Block.RotaryDims, newStyle.RopeTheta));
        Assert.Equal(new RopeScaling(RopeScalingKind.Linear, 2), newStyle.RopeScaling);
        Assert.Equal((ResidualLayout.PreNorm, MlpKind.GeluTanh), (newStyle.Block.Residual, newStyle.Block.Mlp));
        Assert.False(newStyle.QkvBias || newStyle.OutputBias);
        Assert.True(newStyle.TieWordEmbeddings);
    }

    [Theory]
    [InlineData("\"hidden_act\":\"relu\"", "key 'hidden_act'", "'relu' is not supported (supported: gelu,")]
    [InlineData("\"rope_scaling\":{\"type\":\"yarn\",\"factor\":4}", "key 'rope_scaling.type'",
        "'yarn' is not supported (supported: default, linear, dynamic)")]
    [InlineData("\"rope_parameters\":{\"rope_type\":\"llama3\",\"factor\":4}", "key 'rope_parameters.rope_type'",
        "'llama3' is not supported")]
    [InlineData("\"rope_scaling\":{\"type\":\"linear\"}", "key 'rope_scaling.factor'", "is required")]
    [InlineData("\"rotary_pct\":0", "key 'rotary_pct'", "must be in (0, 1]")]
    [InlineData("\"rotary_pct\":1.5", "key 'rotary_pct'", "must be in (0, 1]")]
    [InlineData("\"rotary_pct\":0.2", "key 'rotary_pct'", "rotates 3 of each head's 16 features")] // int(16 · 0.2) = 3 is odd
    [InlineData("\"rope_parameters\":{\"partial_rotary_factor\":0}", "key 'rope_parameters.partial_rotary_factor'", "must be in (0, 1]")]
    [InlineData("\"rotary_emb_base\":10000,\"rope_theta\":500", "key 'rope_theta'", "disagrees with rotary_emb_base")]
    [InlineData("\"layer_norm_eps\":0", "key 'layer_norm_eps'", "must be positive")]
    public void UnsupportedOptionsAreRefusedNamingTheKey(string keys, string key, string message)
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<CheckpointException>(() => ReadJson(folder, Config(keys)));
        Assert.Contains(key, e.Message);
        Assert.Contains(message, e.Message);
    }

    [Fact]
    public void HeadsThatDoNotDivideTheWidthAreRefused()
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<CheckpointException>(() => ReadJson(folder, Config("", heads: 3)));
        Assert.Contains("key 'num_attention_heads': 3 does not divide hidden_size 32", e.Message);
        Assert.Equal(4, ReadJson(folder, Config("\"rotary_pct\":0.3")).Block.RotaryDims); // int(16 · 0.3) = 4
    }

    /// <summary>A small gpt_neox config.json (d_head 16) with <paramref name="keys"/> added.</summary>
    private static string Config(string keys, int heads = 2) =>
        "{\"model_type\":\"gpt_neox\",\"hidden_size\":32,\"intermediate_size\":8,\"num_hidden_layers\":1,\"vocab_size\":5,"
        + $"\"num_attention_heads\":{heads}" + (keys.Length > 0 ? "," + keys : "") + "}";

    [Fact]
    public void MaskBuffersRotaryFrequenciesAndATiedDuplicateHeadAreIgnored()
    {
        using var saved = new TempFolder();
        using var model = TinyGptNeoXs.Create("neox-sequential-tanh-tied-no-bias");
        HfModelFolder.Save(model, saved.Path);
        var weights = saved.File(SafetensorsCheckpoint.SingleFileName);
        using (var scope = NewDisposeScope())
        {
            var writer = new SafetensorsWriter();
            using (var reader = SafetensorsReader.Open(weights))
                foreach (var entry in reader.Header.Tensors)
                    writer.Add(entry.Name, reader.ReadTensor(entry.Name));
            var mask = ones(1, 1, 64, 64).tril(); // [1, 1, max_positions, max_positions]
            for (var l = 0; l < 3; l++)
                writer.Add($"gpt_neox.layers.{l}.attention.bias", mask.to_type(ScalarType.Bool))
                    .Add($"gpt_neox.layers.{l}.attention.masked_bias", tensor(-1e9f))
                    .Add($"gpt_neox.layers.{l}.attention.rotary_emb.inv_freq", ones(3));
            using (var reader = SafetensorsReader.Open(weights))
                writer.Add("embed_out.weight", reader.ReadTensor("gpt_neox.embed_in.weight"));
            writer.Save(weights);
        }
        using var loaded = HfModelFolder.Load(saved.Path);
        var tokens = TinyLlamas.Tokens(model.Spec, 1, 6, seed: 2);
        Assert.Equal(TinyLlamas.Logits(model, tokens), TinyLlamas.Logits(loaded, tokens));
    }

    private static ModelSpec ReadJson(TempFolder folder, string json)
    {
        var path = folder.File(HfConfigReader.FileName);
        File.WriteAllText(path, json);
        return HfConfigReader.Read(path);
    }
}

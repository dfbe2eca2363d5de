// config.json of Qwen3, OLMo 2 and the Qwen2/Mistral sliding windows: published configs read with transformers'
// defaults (Qwen3's head_dim 128 and 32 key/value heads when absent, Mistral's sliding_window 4096 when absent, null
// when null; Qwen2/Qwen3 windows only on layers ≥ max_window_layers, or as layer_types lists them), write → read round
// trips, and refusals that name the key: qwen3_moe, rope types not implemented, layer kinds not implemented.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Models.Families;

namespace TrajectoryLab.Torch.Tests.Checkpoints;

public sealed class LlamaStyleConfigTests
{
    private static ModelSpec ReadJson(TempFolder folder, string json)
    {
        var path = folder.File(HfConfigReader.FileName);
        File.WriteAllText(path, json);
        return HfConfigReader.Read(path);
    }

    /// <summary>Every layer's window under <paramref name="spec"/>.</summary>
    private static int?[] Windows(ModelSpec spec) => [.. Enumerable.Range(0, spec.NumLayers).Select(l => spec.Block.WindowOf(spec, l))];

    [Fact]
    public void ReadsQwen3WithItsPerHeadQkNorm()
    {
        using var folder = new TempFolder();
        // Qwen/Qwen3-0.6B's config.json.
        var spec = ReadJson(folder, """
            {"architectures":["Qwen3ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"bos_token_id":151643,
             "eos_token_id":151645,
             "head_dim":128,"hidden_act":"silu","hidden_size":1024,"initializer_range":0.02,"intermediate_size":3072,
             "max_position_embeddings":40960,"max_window_layers":28,"model_type":"qwen3","num_attention_heads":16,"num_hidden_layers":28,
             "num_key_value_heads":8,"rms_norm_eps":1e-06,"rope_scaling":null,"rope_theta":1000000,"sliding_window":null,
             "tie_word_embeddings":true,"torch_dtype":"bfloat16","transformers_version":"4.51.0","use_cache":true,
             "use_sliding_window":false,"vocab_size":151936}
            """);
        Assert.Equal((16, 8, 128, 1024), (spec.NumHeads, spec.NumKvHeads, spec.HeadDim, spec.HiddenSize)); // 16·128 ≠ 1024
        Assert.Equal(QkNormKind.PerHead, spec.Block.QkNorm);
        Assert.Equal(ResidualLayout.PreNorm, spec.Block.Residual);
        Assert.True(spec.TieWordEmbeddings);
        Assert.False(spec.QkvBias || spec.OutputBias);
        Assert.All(Windows(spec), w => Assert.Null(w));
        Assert.Equal((1e6, 1e-6), (spec.RopeTheta, spec.RmsNormEps));
    }

    [Fact]
    public void Qwen3DefaultsAreTransformers()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, """
            {"model_type":"qwen3","hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":32,"vocab_size":50,
             "rope_parameters":{"rope_type":"default","rope_theta":5000.0}}
            """);
        Assert.Equal((32, 128, 32768, 5000.0), (spec.NumKvHeads, spec.HeadDim, spec.MaxPositionEmbeddings, spec.RopeTheta));
        Assert.False(spec.TieWordEmbeddings);

        var nullKv = ReadJson(folder, """
            {"model_type":"qwen3","hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,
             "num_key_value_heads":null,"head_dim":16,"vocab_size":50}
            """);
        Assert.Equal(4, nullKv.NumKvHeads); // an explicit null means as many as the query heads
    }

    [Fact]
    public void ReadsOlmo2WithPostNormsAndProjectionQkNorm()
    {
        using var folder = new TempFolder();
        // allenai/OLMo-2-0425-1B's config.json.
        var spec = ReadJson(folder, """
            {"architectures":["Olmo2ForCausalLM"],"attention_bias":false,"attention_dropout":0.0,"eos_token_id":100257,"hidden_act":"silu",
             "hidden_size":2048,"initializer_range":0.02,"intermediate_size":8192,"max_position_embeddings":4096,"model_type":"olmo2",
             "num_attention_heads":16,"num_hidden_layers":16,"num_key_value_heads":16,"pad_token_id":100277,"rms_norm_eps":1e-06,
             "rope_scaling":null,"rope_theta":500000,"tie_word_embeddings":false,"torch_dtype":"float32","transformers_version":"4.48.3",
             "use_cache":true,"vocab_size":100352}
            """);
        Assert.Equal(Olmo2Family.Design, spec.Block);
        Assert.Equal((ResidualLayout.PostNorm, QkNormKind.FullProjection), (spec.Block.Residual, spec.Block.QkNorm));
        Assert.Equal((16, 16, 128, 500000.0), (spec.NumHeads, spec.NumKvHeads, spec.HeadDim, spec.RopeTheta));
        Assert.Equal([100257], spec.EosTokenIds!);
        Assert.Equal([2048L], HfModelFolder.CanonicalShape(ParameterNames.Block(0, ParameterNames.QNormW), spec));
        Assert.Equal([2048L], HfModelFolder.CanonicalShape(ParameterNames.Block(0, ParameterNames.Ln1PostW), spec));

        var defaults = ReadJson(folder, """
            {"model_type":"olmo2","hidden_size":64,"intermediate_size":96,"num_hidden_layers":2,"num_attention_heads":4,"vocab_size":50}
            """);
        Assert.Equal((4, 16, 1e-5, 2048), (defaults.NumKvHeads, defaults.HeadDim, defaults.RmsNormEps, defaults.MaxPositionEmbeddings));
    }

    [Fact]
    public void Qwen2SlidesOnlyFromMaxWindowLayersOn()
    {
        using var folder = new TempFolder();
        const string Head = """{"model_type":"qwen2","hidden_size":16,"intermediate_size":24,"num_hidden_layers":3,"num_attention_heads":2,"num_key_value_heads":1,"vocab_size":50,"max_position_embeddings":64""";
        Assert.Equal([null, 5, 5], Windows(ReadJson(folder, Head + ""","use_sliding_window":true,"sliding_window":5,"max_window_layers":1}""")));
        // max_window_layers defaults to 28: none of three layers slides.
        Assert.Equal([null, null, null], Windows(ReadJson(folder, Head + ""","use_sliding_window":true,"sliding_window":5}""")));
        Assert.Equal([5, 5, 5], Windows(ReadJson(folder, Head + ""","use_sliding_window":true,"sliding_window":5,"max_window_layers":0}""")));
        Assert.Equal(5, ReadJson(folder, Head + ""","use_sliding_window":true,"sliding_window":5,"max_window_layers":0}""").SlidingWindow);
        Assert.Equal([null, null, null], Windows(ReadJson(folder, Head + ""","use_sliding_window":false,"sliding_window":5,"max_window_layers":0}""")));
        // use_sliding_window without sliding_window: Qwen2Config's 4096.
        Assert.Equal([4096, 4096, 4096], Windows(ReadJson(folder, Head + ""","use_sliding_window":true,"max_window_layers":0}""")));
        // layer_types, when given, decides.
        Assert.Equal([5, null, 5], Windows(ReadJson(folder, Head + ""","use_sliding_window":true,"sliding_window":5,"layer_types":["sliding_attention","full_attention","sliding_attention"]}""")));
    }

    [Fact]
    public void Qwen3LayerTypesChooseTheSlidingLayers()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, """
            {"model_type":"qwen3","hidden_size":16,"intermediate_size":24,"num_hidden_layers":4,"num_attention_heads":2,
             "num_key_value_heads":1,
             "head_dim":8,"vocab_size":50,"use_sliding_window":true,"sliding_window":7,"max_window_layers":2}
            """);
        Assert.Equal([null, null, 7, 7], Windows(spec));
    }

    [Fact]
    public void MistralSlidingWindowDefaultsTo4096WhenAbsentAndNoneWhenNull()
    {
        using var folder = new TempFolder();
        const string Head = """{"model_type":"mistral","hidden_size":16,"intermediate_size":24,"num_hidden_layers":2,"num_attention_heads":8,"vocab_size":50,"max_position_embeddings":64""";
        var absent = ReadJson(folder, Head + "}");
        Assert.Equal(4096, absent.SlidingWindow);
        Assert.Equal(8, absent.NumKvHeads); // MistralConfig's default
        Assert.Null(ReadJson(folder, Head + ""","sliding_window":null}""").SlidingWindow);
        Assert.Equal(3, ReadJson(folder, Head + ""","sliding_window":3,"num_key_value_heads":2}""").SlidingWindow);
    }

    [Fact]
    public void WriteThenReadGivesTheSameSpec()
    {
        using var folder = new TempFolder();
        var path = folder.File(HfConfigReader.FileName);
        ModelSpec[] specs =
        [
            .. TinyQwenSpecs(),
            new("qwen3", 50, 16, 24, 3, 4, 2, 6, 1e-6, 1e6, new RopeScaling(RopeScalingKind.Dynamic, 2, OriginalMaxPositionEmbeddings: 16),
                true, true, true, 32, "bfloat16", 1, [2, 3], Design: Qwen3Family.Design with { LayerWindows = [null, 9, 9] }),
            new("qwen2", 50, 8, 12, 3, 2, 1, 4, 1e-6, 1e6, null, true, true, false, 32, "float32", null, [7],
                Design: BlockDesign.Llama with { LayerWindows = [5, null, 5] }),
            new("mistral", 50, 8, 12, 1, 2, 2, 4, 1e-6, 1e4, null, false, false, false, 32, "float16", 0, []),
        ];
        foreach (var spec in specs)
        {
            HfConfigWriter.Write(spec, path, spec.TorchDType ?? "float32");
            var read = HfConfigReader.Read(path);
            Assert.Equal(Windows(spec), Windows(read));
            Assert.Equal(Comparable(spec), Comparable(read));
            Assert.Equal(spec.EosTokenIds ?? [], read.EosTokenIds!);
        }

        static ModelSpec Comparable(ModelSpec s) =>
            s with { EosTokenIds = null, TorchDType = null, SlidingWindow = null, Design = s.Block with { LayerWindows = null } };
    }

    private static IEnumerable<ModelSpec> TinyQwenSpecs() =>
        Models.TinyQwen3s.All.Values.Select(v => v.Spec);

    [Theory]
    [InlineData("""{"model_type":"qwen3_moe","hidden_size":8}""", "key 'model_type'", "mixture-of-experts")]
    [InlineData("""{"model_type":"qwen3","hidden_size":8,"num_attention_heads":2,"intermediate_size":8,"num_hidden_layers":1,"vocab_size":5,"head_dim":4,"rope_scaling":{"rope_type":"yarn","factor":4.0,"original_max_position_embeddings":32768}}""", "key 'rope_scaling.rope_type'", "'yarn' is not supported")]
    [InlineData("""{"model_type":"olmo2","hidden_size":8,"num_attention_heads":2,"intermediate_size":8,"num_hidden_layers":1,"vocab_size":5,"rope_parameters":{"rope_type":"longrope","rope_theta":10000}}""", "key 'rope_parameters.rope_type'", "'longrope' is not supported")]
    [InlineData("""{"model_type":"qwen3","hidden_size":8,"num_attention_heads":2,"intermediate_size":8,"num_hidden_layers":2,"vocab_size":5,"head_dim":4,"use_sliding_window":true,"sliding_window":4,"layer_types":["full_attention","chunked_attention"]}""", "key 'layer_types'", "'chunked_attention' is not supported")]
    [InlineData("""{"model_type":"qwen3","hidden_size":8,"num_attention_heads":2,"intermediate_size":8,"num_hidden_layers":2,"vocab_size":5,"head_dim":4,"layer_types":["full_attention","sliding_attention"]}""", "key 'layer_types'", "no window")]
    [InlineData("""{"model_type":"qwen3","hidden_size":8,"num_attention_heads":2,"intermediate_size":8,"num_hidden_layers":2,"vocab_size":5,"head_dim":4,"use_sliding_window":true,"layer_types":["full_attention"]}""", "key 'layer_types'", "lists 1 layers")]
    [InlineData("""{"model_type":"qwen3","hidden_size":8,"num_attention_heads":2,"intermediate_size":8,"num_hidden_layers":1,"vocab_size":5,"num_key_value_heads":1,"head_dim":5}""", "key 'head_dim'", "odd")]
    [InlineData("""{"model_type":"qwen3","hidden_act":"gelu"}""", "key 'hidden_act'", "only silu")]
    [InlineData("""{"model_type":"olmo2","hidden_size":9,"num_attention_heads":2,"intermediate_size":8,"num_hidden_layers":1,"vocab_size":5}""", "key 'num_attention_heads'", "does not divide")]
    public void BadConfigNamesFileAndKey(string json, string subject, string detail)
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<CheckpointException>(() => ReadJson(folder, json));
        Assert.Contains(folder.File(HfConfigReader.FileName), e.Message);
        Assert.Contains(subject, e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void SpecsWithoutTheFamilyDesignAreRefused()
    {
        var qwen3 = Models.TinyQwen3s.Qwen3["qwen3-gqa-head-dim"].Spec;
        Assert.Equal("model_type", (qwen3 with { Design = null }).FindProblem()!.Value.Key);
        var olmo2 = Models.TinyQwen3s.Olmo2["olmo2-gqa"].Spec;
        Assert.Equal("model_type", (olmo2 with { Design = Qwen3Family.Design }).FindProblem()!.Value.Key);
        Assert.Equal("sliding_window", (olmo2 with { SlidingWindow = 4 }).FindProblem()!.Value.Key);
        Assert.Equal("attention_bias", (qwen3 with { QkvBias = true }).FindProblem()!.Value.Key);
        var twoSizes = qwen3 with { Design = Qwen3Family.Design with { LayerWindows = [3, 4] } };
        Assert.Equal("sliding_window", twoSizes.FindProblem()!.Value.Key);
        Assert.Throws<ArgumentException>(() => new DecoderModel(qwen3 with { Design = null }));
    }
}

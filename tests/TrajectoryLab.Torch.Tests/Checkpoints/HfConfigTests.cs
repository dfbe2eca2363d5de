// config.json parsing: the shapes of real Llama-family and GPT-2 configs (values as published on the Hugging Face hub),
// write/read round trips, and errors that name the file and the key.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Checkpoints;

public sealed class HfConfigTests
{
    private static ModelSpec ReadJson(TempFolder folder, string json)
    {
        var path = folder.File(HfConfigReader.FileName);
        File.WriteAllText(path, json);
        return HfConfigReader.Read(path);
    }

    [Fact]
    public void ReadsLlama31WithLlama3ScalingAndEosList()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, """
            {"architectures":["LlamaForCausalLM"],"attention_bias":false,"bos_token_id":128000,"eos_token_id":[128001,128008,128009],
             "hidden_act":"silu","hidden_size":4096,"intermediate_size":14336,"max_position_embeddings":131072,"mlp_bias":false,
             "model_type":"llama","num_attention_heads":32,"num_hidden_layers":32,"num_key_value_heads":8,"rms_norm_eps":1e-05,
             "rope_scaling":{"factor":8.0,"low_freq_factor":1.0,"high_freq_factor":4.0,"original_max_position_embeddings":8192,"rope_type":"llama3"},
             "rope_theta":500000.0,"tie_word_embeddings":false,"torch_dtype":"bfloat16","vocab_size":128256}
            """);
        Assert.Equal(new RopeScaling(RopeScalingKind.Llama3, 8, 1, 4, 8192), spec.RopeScaling);
        Assert.Equal((32, 8, 128, 4), (spec.NumHeads, spec.NumKvHeads, spec.HeadDim, spec.QueriesPerKvHead));
        Assert.Equal([128001, 128008, 128009], spec.EosTokenIds!);
        Assert.Equal(("bfloat16", 128000, 500000.0, 1e-5), (spec.TorchDType, spec.BosTokenId, spec.RopeTheta, spec.RmsNormEps));
        Assert.False(spec.QkvBias || spec.OutputBias || spec.TieWordEmbeddings);
    }

    [Fact]
    public void Qwen2HasQkvBiasAndTiedHead()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, """
            {"architectures":["Qwen2ForCausalLM"],"bos_token_id":151643,"eos_token_id":151645,"hidden_act":"silu","hidden_size":896,
             "intermediate_size":4864,"max_position_embeddings":32768,"max_window_layers":21,"model_type":"qwen2","num_attention_heads":14,
             "num_hidden_layers":24,"num_key_value_heads":2,"rms_norm_eps":1e-06,"rope_theta":1000000.0,"sliding_window":32768,
             "tie_word_embeddings":true,"torch_dtype":"bfloat16","use_sliding_window":false,"vocab_size":151936}
            """);
        Assert.True(spec.QkvBias && spec.TieWordEmbeddings);
        Assert.False(spec.OutputBias);
        Assert.Null(spec.SlidingWindow);
        Assert.Equal(64, spec.HeadDim);
        Assert.Equal([151645], spec.EosTokenIds!);
    }

    [Fact]
    public void MistralKeepsItsSlidingWindowAndTypeAliasWorks()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, """
            {"model_type":"mistral","hidden_size":4096,"intermediate_size":14336,"num_hidden_layers":32,"num_attention_heads":32,
             "num_key_value_heads":8,"vocab_size":32000,"max_position_embeddings":32768,"sliding_window":4096,"rope_theta":10000.0,
             "rope_scaling":{"type":"linear","factor":2.0}}
            """);
        Assert.Equal(4096, spec.SlidingWindow);
        Assert.Equal(new RopeScaling(RopeScalingKind.Linear, 2.0), spec.RopeScaling);
        Assert.Equal(1e-6, spec.RmsNormEps);
    }

    [Fact]
    public void ReadsGpt2WithItsDefaults()
    {
        using var folder = new TempFolder();
        var spec = ReadJson(folder, """
            {"activation_function":"gelu_new","architectures":["GPT2LMHeadModel"],"attn_pdrop":0.1,"bos_token_id":50256,"embd_pdrop":0.1,
             "eos_token_id":50256,"initializer_range":0.02,"layer_norm_epsilon":1e-05,"model_type":"gpt2","n_ctx":1024,"n_embd":768,
             "n_head":12,"n_layer":12,"n_positions":1024,"resid_pdrop":0.1,"summary_activation":null,"summary_first_dropout":0.1,
             "summary_proj_to_labels":true,"summary_type":"cls_index","summary_use_proj":true,
             "task_specific_params":{"text-generation":{"do_sample":true,"max_length":50}},"vocab_size":50257}
            """);
        Assert.Equal(ModelArchitecture.Gpt2, spec.Architecture);
        Assert.Equal(ModelSpec.Gpt2(50257, 768, 12, 12, 1024) with { BosTokenId = 50256, EosTokenIds = spec.EosTokenIds }, spec);
        Assert.Equal((3072, 64, 12, true), (spec.IntermediateSize, spec.HeadDim, spec.NumKvHeads, spec.TieWordEmbeddings));
        Assert.Equal([50256], spec.EosTokenIds!);
    }

    [Fact]
    public void WriteThenReadGivesTheSameSpec()
    {
        using var folder = new TempFolder();
        var path = folder.File(HfConfigReader.FileName);
        ModelSpec[] specs =
        [
            new("llama", 100, 16, 40, 2, 4, 2, 4, 1e-5, 10000, new RopeScaling(RopeScalingKind.Dynamic, 2.0, OriginalMaxPositionEmbeddings: 64),
                false, true, true, 128, "float32", 1, [2, 3]),
            new("qwen2", 50, 8, 12, 1, 2, 1, 4, 1e-6, 1e6, null, true, true, false, 32, "bfloat16", null, [7], 16),
            new("mistral", 50, 8, 12, 1, 2, 2, 4, 1e-6, 1e4, new RopeScaling(RopeScalingKind.Llama3, 8, 1, 4, 16),
                false, false, false, 32, "float16", 0, []),
            ModelSpec.Gpt2(50, 12, 2, 3, 24, nInner: 20, layerNormEpsilon: 1e-3, tieWordEmbeddings: false) with { TorchDType = "float32", EosTokenIds = [9] },
            ModelSpec.Gpt2(50, 12, 1, 2, 24) with { TorchDType = "bfloat16", BosTokenId = 3, EosTokenIds = [] },
        ];
        foreach (var spec in specs)
        {
            HfConfigWriter.Write(spec, path, spec.TorchDType!);
            var read = HfConfigReader.Read(path);
            Assert.Equal(spec with { EosTokenIds = null }, read with { EosTokenIds = null });
            Assert.Equal(spec.EosTokenIds!, read.EosTokenIds!);
        }
    }

    [Theory]
    [InlineData("""{"model_type":"bloom","hidden_size":8}""", "key 'model_type'", "not supported")]
    [InlineData("""{"model_type":"llama","num_attention_heads":2,"intermediate_size":8,"num_hidden_layers":1,"vocab_size":5,"max_position_embeddings":8}""", "key 'hidden_size'", "required")]
    [InlineData("""{"model_type":"llama","hidden_size":"8"}""", "key 'hidden_size'", "integer")]
    [InlineData("""{"model_type":"llama","hidden_act":"gelu"}""", "key 'hidden_act'", "gelu")]
    [InlineData("""{"model_type":"llama","mlp_bias":true}""", "key 'mlp_bias'", "not supported")]
    [InlineData("""{"model_type":"llama","hidden_size":8,"num_attention_heads":2,"num_key_value_heads":3,"intermediate_size":8,"num_hidden_layers":1,"vocab_size":5,"max_position_embeddings":8}""", "key 'num_key_value_heads'", "does not divide")]
    [InlineData("""{"model_type":"llama","hidden_size":8,"num_attention_heads":2,"intermediate_size":8,"num_hidden_layers":1,"vocab_size":5,"max_position_embeddings":8,"rope_scaling":{"rope_type":"yarn","factor":4}}""", "key 'rope_scaling.rope_type'", "'yarn' is not supported")]
    [InlineData("""{"model_type":"llama","hidden_size":8,"num_attention_heads":2,"intermediate_size":8,"num_hidden_layers":1,"vocab_size":5,"max_position_embeddings":8,"rope_scaling":{"rope_type":"llama3","factor":4}}""", "key 'rope_scaling.original_max_position_embeddings'", "required")]
    [InlineData("""{"model_type":"gpt2","activation_function":"relu"}""", "key 'activation_function'", "'relu' is not supported")]
    [InlineData("""{"model_type":"gpt2","scale_attn_by_inverse_layer_idx":true}""", "key 'scale_attn_by_inverse_layer_idx'", "not supported")]
    [InlineData("""{"model_type":"gpt2","vocab_size":5,"n_layer":1,"n_head":2,"n_positions":8}""", "key 'n_embd'", "required")]
    [InlineData("""{"model_type":"gpt2","vocab_size":5,"n_embd":9,"n_layer":1,"n_head":2,"n_positions":8}""", "key 'n_head'", "split n_embd 9 evenly")]
    [InlineData("""{"model_type":"gpt2","vocab_size":5,"n_embd":8,"n_layer":1,"n_head":2,"n_positions":0}""", "key 'n_positions'", "must be positive")]
    [InlineData("""[1, 2]""", "config.json", "not a JSON object")]
    public void BadConfigNamesFileAndKey(string json, string subject, string detail)
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<CheckpointException>(() => ReadJson(folder, json));
        Assert.Contains(folder.File(HfConfigReader.FileName), e.Message);
        Assert.Contains(subject, e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void MissingConfigNamesTheFile()
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<CheckpointException>(() => HfConfigReader.Read(folder.File(HfConfigReader.FileName)));
        Assert.Contains(folder.File(HfConfigReader.FileName), e.Message);
    }
}

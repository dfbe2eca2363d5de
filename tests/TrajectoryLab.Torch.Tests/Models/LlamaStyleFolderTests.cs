// Hugging Face folders of Qwen3, OLMo 2 and windowed Mistral/Qwen2: save → load is bit-exact (float32, bfloat16) and
// gives the same spec back, LanguageModel.Load computes the saved model's logits, and a checkpoint missing a tensor
// only these families have (q_norm, post_feedforward_layernorm) is refused naming it.
using System.Text.Json.Nodes;
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class LlamaStyleFolderTests
{
    public static TheoryData<string> Names => new(TinyQwen3s.All.Keys);


    private static int?[] Windows(ModelSpec spec) => [.. Enumerable.Range(0, spec.NumLayers).Select(l => spec.Block.WindowOf(spec, l))];

    [Theory]
    [MemberData(nameof(Names))]
    public void SaveThenLoadIsBitExact(string config)
    {
        foreach (var dtype in new[] { ScalarType.Float32, ScalarType.BFloat16 })
        {
            using var folder = new TempFolder();
            using var model = TinyQwen3s.Create(config, dtype: dtype);
            HfModelFolder.Save(model, folder.Path);
            using var loaded = HfModelFolder.Load(folder.Path, dtype);
            Assert.Equal(Windows(model.Spec), Windows(loaded.Spec));
            static ModelSpec Comparable(ModelSpec s) =>
                s with { EosTokenIds = null, TorchDType = null, SlidingWindow = null, Design = s.Block with { LayerWindows = null } };
            Assert.Equal(Comparable(model.Spec), Comparable(loaded.Spec));
            SavedWeights.AssertSame(model, loaded);
        }
    }

    [Theory]
    [InlineData("qwen3-window-upper-layers")]
    [InlineData("olmo2-bias-tied-head-dim")]
    public void LanguageModelLoadComputesTheSavedModel(string config)
    {
        using var folder = new TempFolder();
        using var model = TinyQwen3s.Create(config);
        HfModelFolder.Save(model, folder.Path);
        var prompt = TinyLlamas.Tokens(model.Spec, batch: 1, length: 7, seed: 4);
        var expected = TinyLlamas.Logits(model, prompt);
        using var lm = LanguageModel.Load(folder.Path);
        Assert.Equal(model.Spec.ModelType, lm.Spec.ModelType);
        using var session = lm.StartSession(
            new GenerationOptions { MaxNewTokens = 1, Sampler = Sampling.SamplerOptions.Greedy, Outputs = StepOutputs.Logits });
        var step = session.Prefill(prompt);
        var last = expected[^model.Spec.VocabSize..];
        Assert.True(TinyLlamas.RelativeError(step.Logits![0].Select(v => (double)v).ToArray(), last) < 1e-6);
    }

    [Theory]
    [InlineData("qwen3-gqa-head-dim", "model.layers.1.self_attn.k_norm.weight")]
    [InlineData("olmo2-gqa", "model.layers.0.post_feedforward_layernorm.weight")]
    public void AMissingFamilyTensorIsNamed(string config, string tensor)
    {
        using var folder = new TempFolder();
        using (var model = TinyQwen3s.Create(config)) HfModelFolder.Save(model, folder.Path);
        var path = folder.File(SafetensorsCheckpoint.SingleFileName);
        var writer = new SafetensorsWriter();
        using (var reader = SafetensorsReader.Open(path))
            foreach (var t in reader.Header.Tensors.Where(t => t.Name != tensor))
                writer.Add(t.Name, reader.ReadTensor(t.Name));
        writer.Save(path);
        var e = Assert.Throws<CheckpointException>(() => HfModelFolder.Load(folder.Path));
        Assert.Contains(tensor, e.Message);
        Assert.Contains("missing", e.Message);
    }

    [Theory]
    [InlineData("qwen3-gqa-head-dim")]
    [InlineData("olmo2-gqa")]
    [InlineData("mistral-window-3")]
    public void Llama2cExportRefusesWhatRunCDoesNotCompute(string config)
    {
        using var folder = new TempFolder();
        var spec = TinyQwen3s.All[config].Spec with { RopeTheta = 10000, RmsNormEps = 1e-5, HeadDim = 8 }; // all else run.c takes
        using var model = new DecoderModel(spec);
        model.InitializeRandom(1);
        var e = Assert.Throws<NotSupportedException>(() => Llama2cCheckpoint.Write(model, folder.File("model.bin")));
        Assert.Contains(config[..config.IndexOf('-')], e.Message);
    }

    [Fact]
    public void ATiedCheckpointMayRepeatTheHead()
    {
        using var folder = new TempFolder();
        using var model = TinyQwen3s.Create("qwen3-tied-bias");
        HfModelFolder.Save(model, folder.Path);
        var path = folder.File(SafetensorsCheckpoint.SingleFileName);
        var writer = new SafetensorsWriter();
        using (var reader = SafetensorsReader.Open(path))
        {
            foreach (var t in reader.Header.Tensors)
                writer.Add(t.Name, reader.ReadTensor(t.Name));
            writer.Add("lm_head.weight", reader.ReadTensor("model.embed_tokens.weight"));
        }
        writer.Save(path);
        using var loaded = HfModelFolder.Load(folder.Path);
        Assert.Equal(SavedWeights.Bytes(model)[ParameterNames.UnembedW], SavedWeights.Bytes(loaded)[ParameterNames.UnembedW]);
        var config = JsonNode.Parse(File.ReadAllText(folder.File(HfConfigReader.FileName)))!;
        Assert.Equal("Qwen3ForCausalLM", (string?)config["architectures"]![0]);
    }
}

// ModelSpec.Shaped: every supported model_type shapes a valid spec from the same family-neutral sizes, with its family's
// distinctive design (no two model types write the same config.json up to model_type), which config.json reads back and a
// random model of it decodes to finite logits; stories15M's sizes give the Mamba the benchmark asks for.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class ShapedSpecTests
{
    private static readonly ModelSizes Sizes =
        new(VocabSize: 64, Dim: 32, Layers: 4, Heads: 4, Hidden: 48, Context: 32, KvHeads: 2, Window: 6);

    public static TheoryData<string> ModelTypes => new(ModelSpec.SupportedModelTypes);

    private static string ConfigText(ModelSpec spec)
    {
        using var folder = new TempFolder();
        HfConfigWriter.Write(spec, folder.File("config.json"), "float32");
        return File.ReadAllText(folder.File("config.json"));
    }

    [Theory]
    [MemberData(nameof(ModelTypes))]
    public void EveryModelTypeShapesAValidSpecThatRoundTripsAndDecodes(string modelType)
    {
        var spec = ModelSpec.Shaped(modelType, Sizes);
        Assert.Equal(modelType, spec.ModelType);
        Assert.Null(spec.FindProblem());
        Assert.Equal((64, 32, 4), (spec.VocabSize, spec.HiddenSize, spec.NumLayers));
        Assert.True(spec.TieWordEmbeddings);

        using var folder = new TempFolder();
        HfConfigWriter.Write(spec, folder.File("config.json"), "float32");
        var back = HfConfigReader.Read(folder.File("config.json"));
        Assert.Equal(ConfigText(spec), ConfigText(back)); // the same keys, so the same spec

        using var model = CausalLm.Create(spec);
        model.InitializeRandom(3);
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var logits = model.Forward(arange(0, 12, dtype: ScalarType.Int64).unsqueeze(0), null, 0, lastPositionOnly: false); // [1, 12, 64]
        Assert.Equal([1, 12, 64], logits.shape);
        Assert.True(logits.isfinite().all().item<bool>());
    }

    [Fact]
    public void TheDesignsDifferAndCarryTheirFamiliesOptions()
    {
        string Keys(string modelType) // config.json without the keys that only name the type
        {
            var config = System.Text.Json.Nodes.JsonNode.Parse(ConfigText(ModelSpec.Shaped(modelType, Sizes)))!.AsObject();
            config.Remove("model_type");
            config.Remove("architectures");
            return config.ToJsonString();
        }
        var configs = ModelSpec.SupportedModelTypes.ToDictionary(t => t, Keys);
        Assert.Equal(configs.Count, configs.Values.Distinct().Count());

        Assert.Equal(6, ModelSpec.Shaped("mistral", Sizes).SlidingWindow);
        Assert.Equal(16, ModelSpec.Shaped("mistral", Sizes with { Window = null }).SlidingWindow); // half the context
        var neox = ModelSpec.Shaped("gpt_neox", Sizes).Block;
        Assert.Equal((ResidualLayout.Parallel, 2), (neox.Residual, neox.RotaryDims!.Value)); // a quarter of d_head 8
        Assert.Equal(6, ModelSpec.Shaped("phi3", Sizes).Block.RotaryDims); // three quarters
        var gemma2 = ModelSpec.Shaped("gemma2", Sizes).Block;
        Assert.Equal((50.0, 30.0), (gemma2.AttentionSoftcap!.Value, gemma2.FinalSoftcap!.Value));
        Assert.Equal([6, null, 6, null], gemma2.LayerWindows!);
        var gemma3 = ModelSpec.Shaped("gemma3_text", Sizes);
        Assert.Equal([6, 6, 6, null], gemma3.Block.LayerWindows!); // the last layer of min(6, layers) is global
        Assert.Equal((1e6, 1e4, QkNormKind.PerHead), (gemma3.RopeTheta, gemma3.Block.LocalRopeTheta!.Value, gemma3.Block.QkNorm));
        Assert.Equal(QkNormKind.FullProjection, ModelSpec.Shaped("olmo2", Sizes).Block.QkNorm);
        Assert.Equal(ResidualLayout.PostNorm, ModelSpec.Shaped("olmo2", Sizes).Block.Residual);
        Assert.Equal(QkNormKind.PerHead, ModelSpec.Shaped("qwen3", Sizes).Block.QkNorm);
        Assert.True(ModelSpec.Shaped("qwen2", Sizes).QkvBias);
        Assert.Equal(PositionKind.Learned, ModelSpec.Shaped("gpt2", Sizes).Block.Positions);
    }

    [Fact]
    public void StoriesSizesGiveTheBenchmarksMamba()
    {
        var mamba = ModelSpec.Shaped("mamba", new ModelSizes(32000, 288, 6, 6, 768, 256));
        Assert.Equal(new MambaDesign(StateSize: 16, ConvKernel: 4, Expand: 2, TimeStepRank: 18, ProjectionBias: false), mamba.Block.Mamba);
        Assert.Equal((288, 6, 576), (mamba.HiddenSize, mamba.NumLayers, mamba.IntermediateSize));
    }

    [Fact]
    public void AnUnsupportedModelTypeIsRefusedListingTheSupportedOnes()
    {
        var e = Assert.Throws<ArgumentException>(() => ModelSpec.Shaped("t5", Sizes));
        Assert.Contains("'t5' is not supported (supported: llama, mistral, qwen2, gpt2", e.Message);
    }
}

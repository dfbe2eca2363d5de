// The public facade: a saved folder loads and generates like the model it came from; random models are reproducible;
// device and dtype names are checked, and asking for CUDA without it is a clear error.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Generation;

public sealed class LanguageModelTests
{
    private static readonly ModelSpec Spec = TinyLlamas.Specs["gqa-untied"];

    private static int[][] Greedy(LanguageModel model, int steps = 8) =>
        TinyLms.Contexts([[1, 2, 3]], TinyLms.Run(model, new GenerationOptions(), [[1, 2, 3]], steps));

    private static float[] FirstLogits(LanguageModel model) =>
        TinyLms.Run(model, new GenerationOptions { Outputs = StepOutputs.Logits }, [[1, 2, 3]], steps: 1)[0].Logits![0];

    [Fact]
    public void ASavedFolderLoadsAndGeneratesLikeItsModel()
    {
        using var folder = new TempFolder();
        using var model = LanguageModel.Random(Spec, seed: 3, std: 0.5);
        HfModelFolder.Save(model.Model, folder.Path);
        using var loaded = LanguageModel.Load(folder.Path);
        Assert.Equal(Spec, loaded.Spec with { TorchDType = null, EosTokenIds = null });
        Assert.Equal(("cpu", "float32"), (loaded.Device, loaded.DType));
        Assert.Equal(FirstLogits(model), FirstLogits(loaded));
        Assert.Equal(Greedy(model), Greedy(loaded));
    }

    [Fact]
    public void RandomModelsAreReproducibleFromTheirSeed()
    {
        using var a = LanguageModel.Random(Spec, seed: 5);
        using var b = LanguageModel.Random(Spec, seed: 5);
        using var c = LanguageModel.Random(Spec, seed: 6);
        Assert.Equal(FirstLogits(a), FirstLogits(b));
        Assert.NotEqual(FirstLogits(a), FirstLogits(c));
    }

    [Fact]
    public void HalfPrecisionModelsGenerateCloseToFloat32()
    {
        using var single = LanguageModel.Random(Spec, seed: 2, std: 0.3);
        using var half = LanguageModel.Random(Spec, seed: 2, new ModelOptions { DType = "bfloat16" }, std: 0.3);
        Assert.Equal("bfloat16", half.DType);
        var expected = FirstLogits(single).Select(x => (double)x).ToArray();
        var error = TinyLms.RelativeError(FirstLogits(half), expected);
        Assert.True(error < 5e-2, error.ToString(System.Globalization.CultureInfo.InvariantCulture));
    }

    [Fact]
    public void HookNamesListEveryHookPointInForwardOrder()
    {
        using var model = LanguageModel.Random(Spec, seed: 1);
        Assert.Equal(HookNames.Embed, model.HookNames[0]);
        Assert.Equal(HookNames.Logits, model.HookNames[^1]);
        Assert.True(model.HookNames.ToList().IndexOf(HookNames.ResidPost(0)) < model.HookNames.ToList().IndexOf(HookNames.ResidPre(1)));
        Assert.True(model.HookNames.ToList().IndexOf(HookNames.MlpPost(0)) < model.HookNames.ToList().IndexOf(HookNames.MlpOut(0)));
        Assert.Equal(2 + Spec.NumLayers * 9 + 1, model.HookNames.Count);
    }

    [Fact]
    public void DeviceAndDTypeNamesAreChecked()
    {
        Assert.Contains("Device", Assert.Throws<ArgumentException>(() => LanguageModel.Random(Spec, 1, new ModelOptions { Device = "gpu" })).Message);
        Assert.Contains("DType", Assert.Throws<ArgumentException>(() => LanguageModel.Random(Spec, 1, new ModelOptions { DType = "int8" })).Message);
        if (cuda.is_available()) return; // the clear error below is for machines without CUDA
        var error = Assert.Throws<InvalidOperationException>(() => LanguageModel.Random(Spec, 1, new ModelOptions { Device = "cuda:0" }));
        Assert.Contains("torch.cuda.is_available() is false", error.Message);
    }
}

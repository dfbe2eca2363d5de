// The two committed default models: brown-small (Llama) and brown-mamba (Mamba-1) share one tokenizer byte for byte,
// their weight counts are within 10 % of each other (the architecture comparison's "same size"), brown-mamba is a Mamba
// whose weights are all finite (LanguageModel.Check streams every one), and both load and continue a prompt.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Cli.Tests.Models;

public sealed class EmbeddedModelsTests
{
    static string Folder(string name) => Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!, "models", name);

    [Fact]
    public void BrownMambaIsAMambaOfBrownSmallsSizeWithItsTokenizer()
    {
        Assert.Equal(File.ReadAllBytes(Path.Combine(Folder("brown-small"), "tokenizer.json")),
            File.ReadAllBytes(Path.Combine(Folder("brown-mamba"), "tokenizer.json")));
        var mamba = LanguageModel.Check(ModelSource.Resolve(Folder("brown-mamba")));
        Assert.Equal("mamba", mamba.Spec.ModelType);
        using var small = LanguageModel.Load(Folder("brown-small"));
        using var model = LanguageModel.Load(Folder("brown-mamba"));
        var ratio = model.ParameterCount / (double)small.ParameterCount;
        Assert.InRange(ratio, 0.9, 1.1);
        Assert.Equal(small.Spec.VocabSize, model.Spec.VocabSize);

        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 8 });
        var tokenizer = mamba.Tokenizer!;
        var step = session.Prefill([tokenizer.Encode("The jury said")]);
        Assert.InRange(step.Tokens[0], 0, model.Spec.VocabSize - 1);
    }
}

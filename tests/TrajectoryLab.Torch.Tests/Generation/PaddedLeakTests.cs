// Leak test of left-padded decoding (docs/padding.md): 500 sampled steps of a ragged batch (prompts of 2, 6 and 4
// tokens) with a capture and an intervention at a row's own position keep the live tensor count flat, for a Llama and
// a Mamba model; a padded state's pad tensor is freed with it. Runs in the LeakTests collection (alone, no parallel
// tests) and inside a no-GC region so that finalizers cannot quietly dispose tensors that escaped their scope.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Models.Families;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tests.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Generation;

[Collection(nameof(LeakTests))]
public sealed class PaddedLeakTests
{
    [Theory]
    [InlineData("llama")]
    [InlineData("mamba")]
    public void PaddedSampledStepsKeepTheLiveTensorCountFlat(string family)
    {
        const int steps = 500;
        var spec = family == "mamba"
            ? MambaFamily.Spec(61, 16, 1, new MambaDesign(StateSize: 4, ConvKernel: 4, Expand: 2, TimeStepRank: 1, ProjectionBias: false))
            : TinyLlamas.Specs["gqa-untied"] with { NumLayers = 1, MaxPositionEmbeddings = 1024 };
        using var model = LanguageModel.Random(spec, seed: 3, std: 0.5);
        using var session = model.StartSession(new GenerationOptions
        {
            MaxNewTokens = steps,
            Sampler = new SamplerOptions { Temperature = 0.9, TopP = 0.9, RepetitionPenalty = 1.2 },
            Capture = [HookNames.ResidPost(0)],
            Interventions = [Intervention.Scale(HookNames.Embed, 1.01) with { Rows = [0, 2], Position = 40 }],
        });
        long afterWarmup = 0, captured = 0;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(GC.TryStartNoGCRegion(200_000_000));
        var result = session.Prefill([[1, 2], [3, 4, 5, 6, 7, 8], [9, 10, 11, 12]]);
        for (var step = 1; step < steps; step++)
        {
            result = session.Step();
            captured += result.Activations.Count;
            if (step == 60) afterWarmup = Tensor.TotalCount; // after the intervention has fired in every row and expired
        }
        var final = Tensor.TotalCount;
        GC.EndNoGCRegion();
        Assert.Equal(afterWarmup, final);
        Assert.Equal(steps - 1, captured);
        Assert.Equal(6 + steps, session.Length);
        Assert.Equal(2 + steps, session.RowLength(0));
    }

    [Fact]
    public void APaddedStateFreesItsPadTensor()
    {
        using var model = TinyLlamas.Create("gqa-untied");
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Tensor.TotalCount;
        using (var state = model.NewState(3, 8, [2, 0, 1]))
            Assert.NotNull(state.PadTensor);
        Assert.Equal(before, Tensor.TotalCount);
    }
}

// Leak test through the public API: 2,000 sampled steps of a batch of 4 (top-p, temperature, repetition penalty) with a
// capture hook keep the live tensor count flat. Runs in the LeakTests collection (alone, no parallel tests) and inside
// a no-GC region so that finalizers cannot quietly dispose tensors that escaped their scope.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tests.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Generation;

[Collection(nameof(LeakTests))]
public sealed class GenerationLeakTests
{
    [Fact]
    public void TwoThousandSampledStepsWithACaptureKeepTheLiveTensorCountFlat()
    {
        const int steps = 2000;
        var spec = TinyLlamas.Specs["gqa-untied"] with { NumLayers = 1, MaxPositionEmbeddings = 4096 };
        using var model = LanguageModel.Random(spec, seed: 3, std: 0.5);
        using var session = model.StartSession(new GenerationOptions
        {
            MaxNewTokens = steps,
            Sampler = new SamplerOptions { Temperature = 0.9, TopP = 0.9, RepetitionPenalty = 1.2 },
            Capture = [HookNames.ResidPost(0)],
            Interventions = [Intervention.Scale(HookNames.Embed, 1.01) with { Rows = [1] }],
        });
        long afterWarmup = 0, captured = 0;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(GC.TryStartNoGCRegion(200_000_000));
        var result = session.Prefill([[1, 2], [3, 4], [5, 6], [7, 8]]);
        for (var step = 1; step < steps; step++)
        {
            result = session.Step();
            captured += result.Activations.Count;
            if (step == 9) afterWarmup = Tensor.TotalCount;
        }
        var final = Tensor.TotalCount;
        GC.EndNoGCRegion();
        Assert.Equal(afterWarmup, final);
        Assert.Equal(steps - 1, captured);
        Assert.Equal(2 + steps, session.Length);
    }
}

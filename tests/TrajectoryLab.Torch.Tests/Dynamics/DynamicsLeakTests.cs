// Leak test of the language-model dynamics: 300 teacher-forced spectrum steps (k = 4: forward with two probes, QR, the
// cache re-combination every step) keep the live tensor count flat. Runs in the LeakTests collection (alone) inside a
// no-GC region, so that finalizers cannot quietly dispose tensors that escaped their scope.
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Dynamics;

[Collection(nameof(LeakTests))]
public sealed class DynamicsLeakTests
{
    [Fact]
    public void ThreeHundredSpectrumStepsKeepTheLiveTensorCountFlat()
    {
        const int steps = 300;
        using var model = LanguageModel.Random(ModelSpec.Llama(61, 32, 64, 2, 4, numKvHeads: 2, context: 512), seed: 3, std: 0.3);
        var random = new Random(4);
        var text = Enumerable.Range(0, steps + 10).Select(_ => random.Next(61)).ToArray();
        using var run = TeacherForcedDynamics.Start(model, text, new TeacherForcedOptions { Layer = 1, Directions = 4, PromptLength = 3 });
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(GC.TryStartNoGCRegion(200_000_000));
        long afterWarmup = 0;
        for (var step = 0; step < steps; step++)
        {
            run.Step();
            _ = run.Reorthonormalise();
            if (step == 9) afterWarmup = Tensor.TotalCount;
        }
        var final = Tensor.TotalCount;
        GC.EndNoGCRegion();
        Assert.Equal(afterWarmup, final);
        Assert.Equal(steps + 1, run.ReferenceEntropy.Count);
    }
}

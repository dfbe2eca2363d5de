// Leak test for the training step: forward, backward, clipping and the AdamW update under one dispose scope per step
// leave the live tensor count flat over 50 steps. Tensor.TotalCount is process-wide, so this runs in the non-parallel
// leak collection, inside a no-GC region so finalizers cannot hide an escaped tensor.
using TrajectoryLab.Torch.Training;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Training;

[Collection("LeakTests")]
public sealed class TrainingLeakTests
{
    [Fact]
    public void FiftyTrainingStepsKeepTheLiveTensorCountFlat()
    {
        using var folder = new TempFolder();
        var config = TinyTraining.Config(100) with { MonitorEvery = 10, CheckpointEvery = 1000 };
        using var session = TrainingSession.Open(config, TinyTraining.Data(), folder.Path, resume: false);
        session.Train(10); // warm-up: lazily created state exists from here on
        GC.Collect();
        GC.WaitForPendingFinalizers();
        var before = Tensor.TotalCount;
        Assert.True(GC.TryStartNoGCRegion(200_000_000));
        session.Train(60); // includes five monitor points
        var after = Tensor.TotalCount;
        GC.EndNoGCRegion();
        Assert.Equal(before, after);
    }
}

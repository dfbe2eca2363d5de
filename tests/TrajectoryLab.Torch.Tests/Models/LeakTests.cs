// Leak test: 2,000 greedy steps with one dispose scope per step leave the live tensor count flat.
// Tensor.TotalCount is process-wide, so this runs alone (no parallel tests), after collecting earlier garbage, and
// inside a no-GC region so that finalizers cannot quietly dispose tensors that escaped their scope.
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

[CollectionDefinition(nameof(LeakTests), DisableParallelization = true)]
public sealed class LeakTestsCollection;

[Collection(nameof(LeakTests))]
public sealed class LeakTests
{
    [Fact]
    public void TwoThousandGreedyStepsKeepTheLiveTensorCountFlat()
    {
        var spec = TinyLlamas.Specs["gqa-untied"] with { NumLayers = 1, MaxPositionEmbeddings = 4096 };
        using var model = new LlamaModel(spec);
        model.InitializeRandom(seed: 3, std: 0.5);
        using var cache = model.NewCache(batch: 1, capacity: 2001);
        var next = 1L;
        long afterWarmup = 0;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(GC.TryStartNoGCRegion(64_000_000));
        for (var step = 0; step < 2000; step++)
        {
            using (var scope = NewDisposeScope())
            using (var noGrad = no_grad())
            {
                var logits = model.call(tensor(new[] { next }, [1, 1]), cache, step); // [1, 1, vocab]
                next = logits[0, -1].argmax().item<long>();
            }
            if (step == 9) afterWarmup = Tensor.TotalCount;
        }
        var final = Tensor.TotalCount;
        GC.EndNoGCRegion();
        Assert.Equal(afterWarmup, final);
    }
}

// Leak test: 2,000 greedy steps with one dispose scope per step leave the live tensor count flat (GPT-2, which shares
// the blocks and cache, runs 300 to keep the suite short; a Mistral whose window drops old columns, 500).
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
        using var model = new DecoderModel(spec);
        AssertLiveTensorCountStaysFlat(model, steps: 2000);
    }

    [Fact]
    public void Gpt2GreedyStepsKeepTheLiveTensorCountFlat()
    {
        using var model = new DecoderModel(TinyGpt2s.Specs["gpt2-tied"] with { NumLayers = 1, MaxPositionEmbeddings = 300 });
        AssertLiveTensorCountStaysFlat(model, steps: 300);
    }

    /// <summary>A sliding window of 3 drops its old columns every few steps (WindowCache): the moves leave nothing behind.</summary>
    [Fact]
    public void SlidingWindowStepsKeepTheLiveTensorCountFlat()
    {
        using var model = TinyQwen3s.Create("mistral-window-3");
        AssertLiveTensorCountStaysFlat(model, steps: 500);
    }

    private static void AssertLiveTensorCountStaysFlat(CausalLm model, int steps)
    {
        model.InitializeRandom(seed: 3, std: 0.5);
        using var cache = model.NewState(batch: 1, capacity: steps + 1);
        var next = 1L;
        long afterWarmup = 0;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(GC.TryStartNoGCRegion(64_000_000));
        for (var step = 0; step < steps; step++)
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

// Leak test of decoding under a cache policy (CachePolicy, StreamingCache): 400 sampled steps with 2 sinks and a window
// of 16 — the window part moves its columns every ~16 steps and the sink columns are read with a second query rotation —
// keep the live tensor count flat, with hook_pattern captured (the explicit path that widens the pattern to every column).
// Runs in the LeakTests collection (alone) and inside a no-GC region so that finalizers cannot hide an escaped tensor.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tests.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Generation;

[Collection(nameof(LeakTests))]
public sealed class StreamingLeakTests
{
    [Fact]
    public void StreamingDecodingKeepsTheLiveTensorCountFlat()
    {
        const int steps = 400;
        var spec = TinyLlamas.Specs["gqa-untied"] with { NumLayers = 2, MaxPositionEmbeddings = 1024 };
        using var model = LanguageModel.Random(spec, seed: 3, new ModelOptions { Cache = new CachePolicy(2, 16) }, std: 0.5);
        using var session = model.StartSession(new GenerationOptions
        {
            MaxNewTokens = steps,
            Sampler = new SamplerOptions { Temperature = 0.9 },
            Capture = [HookNames.AttnPattern(1)],
        });
        long afterWarmup = 0;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(GC.TryStartNoGCRegion(200_000_000));
        var result = session.Prefill([[1, 2, 3, 4, 5]]);
        for (var step = 1; step < steps; step++)
        {
            result = session.Step();
            Assert.Equal(5 + step, result.Activations[HookNames.AttnPattern(1)].Rows[0].Length / spec.NumHeads); // every column
            if (step == 50)
                afterWarmup = Tensor.TotalCount;
        }
        var final = Tensor.TotalCount;
        GC.EndNoGCRegion();
        Assert.Equal(afterWarmup, final);
    }
}

// Leak test of beam search: every step re-orders every layer's state (GenerationSession.ReorderRows) inside one dispose
// scope; 300 steps of 2 prompts × 4 beams on a full cache, 60 on a sliding window that moves its columns and on a Mamba's
// two-slot recurrent state, leave the live
// tensor count where one short run left it. Runs in the LeakTests collection (alone) inside a no-GC region so that
// finalizers cannot quietly dispose tensors that escaped their scope.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Generation;

[Collection(nameof(LeakTests))]
public sealed class BeamSearchLeakTests
{
    [Theory]
    [InlineData("gqa-untied")]
    [InlineData("mistral-window-3")]
    [InlineData("mamba-tied")]
    public void BeamSearchStepsKeepTheLiveTensorCountFlat(string config)
    {
        CausalLm inner = config switch
        {
            "gqa-untied" => new DecoderModel(TinyLlamas.Specs[config] with { NumLayers = 1, MaxPositionEmbeddings = 4096 }),
            "mamba-tied" => TinyMambas.Create(config),
            _ => TinyQwen3s.Create(config),
        };
        if (config == "gqa-untied")
            inner.InitializeRandom(seed: 3, std: 0.5);
        using var model = new LanguageModel(inner);
        int[][] prompts =
        [
            [1, 2, 3],
            [4, 5, 6],
        ];
        BeamSearch.Run(model, prompts, width: 4, newTokens: 10); // warm-up: the first run allocates what every run reuses
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(GC.TryStartNoGCRegion(200_000_000));
        var before = Tensor.TotalCount;
        var steps = config == "gqa-untied" ? 300 : 60; // the window model has 64 positions; the Mamba is slower per step
        var beams = BeamSearch.Run(model, prompts, width: 4, newTokens: steps);
        var final = Tensor.TotalCount;
        GC.EndNoGCRegion();
        Assert.Equal(before, final);
        Assert.All(beams, b => Assert.Equal(steps, b.Tokens.Length));
    }
}

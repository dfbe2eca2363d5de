// GenerationSession.CopyRows, the branch-and-keep step of a lookahead: rows that share a context are fed different forced
// candidates, one is kept and copied into the others; every row must then compute exactly what a session that was fed the
// kept candidate alone computes, for a full cache, a sliding-window cache (past its window, so the buffer moves) and a
// Mamba's recurrent state. Misuse (rows with different contexts) is refused; the live tensor count stays flat.
// References: Braverman et al. (2020), "Calibration, Entropy Rates, and Memory in Language Models", ICML
// (arXiv:1906.05664): the lookahead entropy of each candidate token, which this operation makes affordable.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Generation;

public sealed class CopyRowsTests
{
    static readonly ModelSizes Sizes = new(61, 32, 2, 4, 64, 64, KvHeads: 2, Window: 4);

    static LanguageModel Model(string type) =>
        type == "llama" ? TinyLms.Create() : LanguageModel.Random(ModelSpec.Shaped(type, Sizes), seed: 3, std: 0.3);

    [Theory]
    [InlineData("llama")]
    [InlineData("mistral")]
    [InlineData("mamba")]
    public void BranchThenCopyComputesWhatTheKeptBranchComputesAlone(string type)
    {
        using var model = Model(type);
        int[] prompt = [1, 2, 3];
        var random = new Random(11);
        const int steps = 12; // past the window of 4, so the sliding-window buffer moves
        int[] Candidates() => [random.Next(61), random.Next(61), random.Next(61)];
        var kept = new List<int>();
        var lookahead = new List<float[]>(); // the kept row's next-token log-probs after each pass
        using (var session = model.StartSession(new GenerationOptions { MaxNewTokens = steps + 1, Outputs = StepOutputs.LogProbs }))
        {
            var candidates = Candidates();
            session.Prefill([prompt, prompt, prompt], force: candidates);
            for (var s = 0; s < steps; s++)
            {
                var pass = session.Step(force: [0, 0, 0]); // row b reads its candidate: its lookahead distribution
                var keep = random.Next(3);
                kept.Add(candidates[keep]);
                lookahead.Add(pass.LogProbs![keep]);
                candidates = Candidates();
                session.CopyRows([keep, keep, keep], next: candidates);
                Assert.All(Enumerable.Range(0, 3), b => Assert.Equal([.. prompt, .. kept, candidates[b]], session.Tokens(b)));
            }
        }
        using var alone = model.StartSession(new GenerationOptions { MaxNewTokens = steps + 1, Outputs = StepOutputs.LogProbs });
        alone.Prefill([prompt], force: [kept[0]]);
        for (var s = 0; s < steps; s++)
        {
            var reference = alone.Step(force: [s + 1 < steps ? kept[s + 1] : 0]).LogProbs![0]; // after prompt, kept[0 … s]
            var error = TinyLms.RelativeError(lookahead[s], [.. reference.Select(x => (double)x)]);
            Assert.True(error < 1e-5, $"step {s}: relative error {error}");
        }
    }

    [Fact]
    public void RowsThatDifferBeforeTheLastPassAreRefused()
    {
        using var model = TinyLms.Create();
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 4 });
        session.Prefill([
            [1, 2],
            [1, 3],
        ]);
        session.Step(); // the rows differ in the prompt, which this pass did not read
        var e = Assert.Throws<ArgumentException>(() => session.CopyRows([0, 0]));
        Assert.Contains("differ before the last pass", e.Message);
        Assert.Throws<ArgumentException>(() => session.CopyRows([0]));
        Assert.Throws<ArgumentException>(() => session.CopyRows([0, 2]));
    }
}

/// <summary>Tensor.TotalCount is process-wide: alone in the leak tests' collection, inside a no-GC region.</summary>
[Collection(nameof(LeakTests))]
public sealed class CopyRowsLeakTests
{
    [Fact]
    public void RepeatedBranchAndCopyKeepsTheLiveTensorCountFlat()
    {
        const int steps = 200;
        var spec = ModelSpec.Shaped("mistral", new ModelSizes(61, 32, 1, 4, 64, 4096, KvHeads: 2, Window: 8));
        using var model = LanguageModel.Random(spec, seed: 3, std: 0.3);
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = steps + 1, Outputs = StepOutputs.LogProbs });
        session.Prefill(
            [
                [1, 2],
                [1, 2],
                [1, 2],
                [1, 2],
            ],
            force: [5, 5, 5, 5]
        );
        long afterWarmup = 0;
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(GC.TryStartNoGCRegion(100_000_000));
        for (var step = 1; step <= steps; step++)
        {
            session.Step(force: [0, 0, 0, 0]);
            session.CopyRows([step % 4, step % 4, step % 4, step % 4], next: [step % 61, (step + 1) % 61, (step + 2) % 61, 7]);
            if (step == 9)
                afterWarmup = Tensor.TotalCount;
        }
        var final = Tensor.TotalCount;
        GC.EndNoGCRegion();
        Assert.Equal(afterWarmup, final);
    }
}

// A forward pass that overflows during a run is an error naming the step, the position, the row and the first hook
// point that went non-finite; a perturbed copy that overflows while the reference stays finite is a recorded breakdown.
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Generation;

public sealed class NonFiniteRunTests
{
    private static readonly ModelSpec Spec = ModelSpec.Llama(64, 16, 32, 2, 4, numKvHeads: 2, context: 32, tieWordEmbeddings: true);

    [Fact]
    public void AnOverflowingFloat16PassNamesStepRowAndTheFirstNonFiniteSite()
    {
        // Weights of scale 200 are finite, but their float16 products overflow 65504 inside the first block.
        using var model = LanguageModel.Random(Spec, 5, new ModelOptions { DType = "float16" }, std: 200);
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 2 });
        var e = Assert.Throws<NonFiniteValueException>(() => session.Prefill([[1, 2, 3]]));
        Assert.Equal(0, e.Step);
        Assert.Equal(2, e.Position);
        Assert.Equal(0, e.Row);
        Assert.NotNull(e.Site);
        Assert.StartsWith("blocks.0.", e.Site);
        Assert.Contains("non-finite logits at step 0 (position 2), batch row 0", e.Message);
    }

    [Fact]
    public void AHealthyModelNeverTripsTheCheck()
    {
        using var model = LanguageModel.Random(Spec, 5);
        var steps = TinyLms.Run(model, new GenerationOptions(), [[1, 2, 3], [4, 5, 6]], 8);
        Assert.Equal(8, steps.Count);
    }

    [Fact]
    public void APerturbedCopyThatOverflowsIsABreakdownNotAnError()
    {
        // float16 with weights just small enough for the reference: a copy pushed 10·||h|| off overflows, the reference does not.
        using var model = LanguageModel.Random(Spec, 5, new ModelOptions { DType = "float16" }, std: 4);
        var result = FreeRunningDynamics.Run(model, [1, 2, 3], new FreeRunningOptions { Epsilons = [1e-3, 1e4], CopiesPerEpsilon = 1, Steps = 3 });
        Assert.All(result.ReferenceEntropy, h => Assert.True(double.IsFinite(h)));
        Assert.Null(result.Copies[0].BreakdownStep);
        Assert.Equal(0, result.Copies[1].BreakdownStep);
    }
}

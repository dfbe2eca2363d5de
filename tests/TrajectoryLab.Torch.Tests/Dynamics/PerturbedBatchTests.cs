// The perturbed batch's logits: a pass with a choice (free-running copies) computes every row's and records a copy whose
// logits break down; a pass without one (teacher-forced spectra, the depth map) runs the head for the reference only,
// unless asked for every row (a free-running run's last pass); the reference's entropy is the same either way.
using TrajectoryLab.Torch.Dynamics;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Dynamics;

public sealed class PerturbedBatchTests
{
    [Theory]
    [InlineData(false, false)] // the head on the reference only: nothing to record
    [InlineData(true, false)] // asked for every row's logits
    [InlineData(false, true)] // a choice needs every row's logits
    public void RecordsACopyWhoseLogitsBreakDownWhereItsLogitsAreComputed(bool everyRowsLogits, bool choose)
    {
        using var model = TeacherForcedDynamicsTests.Model();
        var width = model.Spec.HiddenSize;
        using var batch = new PerturbedBatch(model, 2, 8, 0, 1);
        double[][] deviations = [new double[width], new double[width]];
        Array.Fill(deviations[1], 1e39); // beyond float32: row 2's h becomes infinite, its logits NaN
        batch.Perturb(deviations);
        long[][] tokens =
        [
            [1, 2],
            [1, 2],
            [1, 2],
        ];
        var chosen = batch.Feed(tokens, choose ? logits => [.. Enumerable.Repeat(0L, (int)logits.shape[0])] : null, everyRowsLogits);
        var expectBroken = everyRowsLogits || choose;
        Assert.Equal(expectBroken, batch.BrokenRows.ContainsKey(2));
        Assert.False(batch.BrokenRows.ContainsKey(1));
        Assert.True(double.IsFinite(batch.ReferenceEntropy));
        Assert.Equal(choose ? 3 : 0, chosen?.Length ?? 0);
    }

    [Fact]
    public void TheReferenceEntropyDoesNotDependOnWhichRowsRunTheHead()
    {
        using var model = TeacherForcedDynamicsTests.Model();
        double Entropy(bool everyRowsLogits)
        {
            using var batch = new PerturbedBatch(model, 2, 8, 0, 1);
            batch.Feed(
                [
                    [3, 4, 5],
                    [3, 4, 5],
                    [3, 4, 5],
                ],
                everyRowsLogits: everyRowsLogits
            );
            return batch.ReferenceEntropy;
        }
        Assert.Equal(Entropy(true), Entropy(false), 1e-6);
    }
}

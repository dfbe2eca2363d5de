// The read of a model's own weights (Bench/WeightReadBaseline.cs) must read every float of every tensor exactly once,
// however the tensors' lengths and the thread count cut the spans (a float read twice or skipped changes the sum of a
// tensor of ones), report the bytes it reads, and refuse memory it cannot read in place.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Bench;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Bench;

public sealed class WeightReadBaselineTests
{
    [Property(MaxTest = 60)]
    public Property EveryFloatIsReadOnce(PositiveInt[] lengths, PositiveInt threads)
    {
        var sizes = lengths.Take(6).Select(l => (long)(l.Get % 5000) + 1).DefaultIfEmpty(1).ToArray();
        var parts = threads.Get % 4 + 1;
        using var scope = NewDisposeScope();
        var tensors = sizes.Select((n, i) => full(n, (float)(i + 1))).ToArray(); // tensor i holds i + 1 everywhere
        var read = new WeightReadBaseline(tensors, parts);
        var seconds = read.BestSecondsPerPass(2);
        var expected = sizes.Select((n, i) => (double)n * (i + 1)).Sum();
        return (read.LastSum == expected && read.Bytes == sizes.Sum() * sizeof(float) && seconds >= 0 && double.IsFinite(seconds)).Label(
            $"sizes [{string.Join(", ", sizes)}], {parts} parts: sum {read.LastSum} against {expected}"
        );
    }

    [Fact]
    public void RefusesMemoryItCannotReadInPlace()
    {
        using var scope = NewDisposeScope();
        Assert.Throws<ArgumentException>(() => new WeightReadBaseline([ones(8, 8).t()], 2)); // strided
        Assert.Throws<ArgumentException>(() => new WeightReadBaseline([ones(8, dtype: ScalarType.Float64)], 2));
    }
}

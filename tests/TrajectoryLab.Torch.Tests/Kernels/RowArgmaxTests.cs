// The C# row argmax against libtorch's argmax on random matrices (FsCheck): float32 and float64, any row count and width,
// values drawn from a few integers so that ties are common (the first index must win), and NaNs planted in some rows
// (the first NaN must win, as in torch.argmax).
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Kernels;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed class RowArgmaxTests
{
    [Property(MaxTest = 80)]
    public void MatchesLibTorchArgmax(PositiveInt rowsSeed, PositiveInt widthSeed, bool doubles, bool withNaN, int seed)
    {
        int rows = 1 + rowsSeed.Get % 9,
            width = 1 + widthSeed.Get % 300;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(seed);
        var x = randint(-3, 4, [rows, width]).to_type(doubles ? ScalarType.Float64 : ScalarType.Float32); // [rows, width], many ties
        if (withNaN)
            x[rows / 2, width / 2] = float.NaN;
        var kernel = RowArgmax.TryRows(x);
        Assert.NotNull(kernel);
        Assert.Equal(x.argmax(-1).data<long>().ToArray(), kernel.data<long>().ToArray());
    }

    [Fact]
    public void LeavesOtherTensorsToLibTorch()
    {
        using var scope = NewDisposeScope();
        Assert.Null(RowArgmax.TryRows(zeros(3)));
        Assert.Null(RowArgmax.TryRows(zeros([2, 3], ScalarType.Float16)));
        using (TrajectoryLab.Torch.Models.WeightProduct.LibTorchOnly())
            Assert.Null(RowArgmax.TryRows(zeros(2, 3)));
    }

    [Fact]
    public void ReadsATransposedView()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(5);
        var x = randn(40, 7).t(); // [7, 40], not contiguous
        Assert.Equal(x.argmax(-1).data<long>().ToArray(), RowArgmax.TryRows(x)!.data<long>().ToArray());
    }
}

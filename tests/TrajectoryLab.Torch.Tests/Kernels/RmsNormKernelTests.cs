// The C# RMSNorm against RmsNorm's libtorch path on random rows (FsCheck): any batch shape and width, the plain gain and
// Gemma's 1 + w, rows of very different scales. Only the mean's summation order differs, so they agree to float32
// rounding; the kernel must be the one that ran.
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Kernels;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed class RmsNormKernelTests
{
    [Property(MaxTest = 60)]
    public void MatchesTheLibTorchNorm(PositiveInt rowsSeed, PositiveInt widthSeed, bool offset, bool threeAxes, int seed)
    {
        int rows = 1 + rowsSeed.Get % 12,
            width = 1 + widthSeed.Get % 700;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(seed);
        using var norm = new RmsNorm(width, 1e-5, ScalarType.Float32, offset);
        norm.parameters().Single().copy_(randn(width).mul(0.5).add(offset ? 0 : 1));
        var x = randn(rows, width).mul(exp(randn(rows, 1).mul(3))); // rows from ~1e-4 to ~1e4 in scale
        if (threeAxes)
            x = x.reshape(1, rows, width);
        var before = RmsNormKernel.Calls;
        var kernel = norm.forward(x);
        Assert.Equal(before + 1, RmsNormKernel.Calls);
        Tensor libtorch;
        using (WeightProduct.LibTorchOnly())
            libtorch = norm.forward(x);
        Assert.Equal(libtorch.shape, kernel.shape);
        Assert.True(kernel.allclose(libtorch, rtol: 1e-5, atol: 1e-6), $"max |Δ| {(kernel - libtorch).abs().max().item<float>()}");
    }

    [Fact]
    public void LeavesAutogradToLibTorch()
    {
        using var scope = NewDisposeScope();
        using var norm = new RmsNorm(8, 1e-5, ScalarType.Float32);
        var before = RmsNormKernel.Calls;
        var y = norm.forward(randn(2, 8)); // grad mode on: the libtorch path records the graph
        Assert.Equal(before, RmsNormKernel.Calls);
        Assert.True(y.requires_grad);
    }
}

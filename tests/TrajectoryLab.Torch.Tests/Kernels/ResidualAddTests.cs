// The residual-add kernel against libtorch's add on random shapes (FsCheck): any leading shape from libtorch's parallel
// grain (32,768 elements) up (several ranges over the workers), any thread count, values of any sign and exponent. The bits must
// be libtorch's (IEEE addition rounds once); where the kernel does not apply (fewer elements, grad mode, a strided view,
// shapes that differ) it says so and the caller keeps libtorch's add.
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Kernels;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed class ResidualAddTests
{
    [Property(MaxTest = 40)]
    public void GivesLibTorchsBits(int seed)
    {
        var random = new Random(seed);
        // From libtorch's grain (32,768 elements, where its add goes parallel) to a few prefills' residuals.
        int batch = random.Next(1, 4),
            width = random.Next(1, 400),
            positions = (int)Math.Ceiling(ResidualAdd.LibTorchGrain / (double)(batch * width)) + random.Next(0, 300);
        using var scope = NewDisposeScope();
        using var threadScope = TrajectoryLab.Torch.Bench.LibTorchThreads.Use(random.Next(1, 4));
        manual_seed(seed);
        var x = randn(batch, positions, width).mul(exp(randn(batch, positions, width).mul(8))); // [batch, pos, d]
        var branch = randn(batch, positions, width).mul(exp(randn(batch, positions, width).mul(8))); // [batch, pos, d]
        using var noGrad = no_grad();
        long before = ResidualAdd.Calls;
        var kernel = ResidualAdd.TryApply(x, branch) ?? throw new InvalidOperationException("the kernel did not apply");
        Assert.Equal(before + 1, ResidualAdd.Calls);
        Tensor libTorch;
        using (WeightProduct.LibTorchOnly())
        {
            Assert.Null(ResidualAdd.TryApply(x, branch));
            libTorch = x.add(branch);
        }
        Assert.Equal(libTorch.data<float>().ToArray(), kernel.data<float>().ToArray());
    }

    [Fact]
    public void LeavesSmallSumsAutogradStridedViewsAndMismatchedShapesToLibTorch()
    {
        using var scope = NewDisposeScope();
        var x = randn(2, 64, 288).requires_grad_(true); // [batch, pos, d]: 36,864 elements
        Assert.Null(ResidualAdd.TryApply(x, randn(2, 64, 288)));
        using var noGrad = no_grad();
        Assert.NotNull(ResidualAdd.TryApply(randn(2, 64, 288), randn(2, 64, 288)));
        Assert.Null(ResidualAdd.TryApply(randn(1, 1, 288), randn(1, 1, 288))); // a decoding step's residual: one native add
        var y = randn(2, 288, 64); // [batch, d, pos]
        Assert.Null(ResidualAdd.TryApply(y.transpose(1, 2), randn(2, 64, 288))); // not contiguous
        Assert.Null(ResidualAdd.TryApply(randn(2, 64, 288), randn(1, 64, 288))); // a broadcast stays with libtorch
        Assert.Null(ResidualAdd.TryApply(randn(2, 64, 288, ScalarType.Float64), randn(2, 64, 288, ScalarType.Float64)));
    }
}

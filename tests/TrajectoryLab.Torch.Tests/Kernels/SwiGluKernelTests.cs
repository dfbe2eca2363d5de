// The SwiGLU kernel against a double-precision silu(g)·u and against libtorch's silu-then-multiply on random shapes
// (FsCheck): any leading shape, d_mlp from 1 to 100 (whole 16-lane vectors and a scalar rest), gates from −30 to 30 (the
// exponential's overflow side included) and up values of any sign. Within 1e-6 of the value's magnitude for both, the
// gate read from the fused product's first half and the up projection from its second. Autograd stays with libtorch.
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Kernels;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed class SwiGluKernelTests
{
    [Property(MaxTest = 60)]
    public void MatchesTheDoubleReferenceAndLibTorch(int seed)
    {
        var random = new Random(seed);
        int batch = random.Next(1, 4),
            positions = random.Next(1, 40),
            hidden = random.Next(1, 101);
        using var scope = NewDisposeScope();
        using var threadScope = TrajectoryLab.Torch.Bench.LibTorchThreads.Use(random.Next(1, 4));
        manual_seed(seed);
        var gateIn = rand(batch, positions, 2 * hidden).mul(60).sub(30); // [batch, pos, 2·d_mlp]
        using var noGrad = no_grad();
        long before = SwiGluKernel.Calls;
        var kernel = SwiGluKernel.TryApply(gateIn, hidden) ?? throw new InvalidOperationException("the kernel did not apply");
        Assert.Equal(before + 1, SwiGluKernel.Calls);
        Tensor libTorch;
        using (WeightProduct.LibTorchOnly())
        {
            Assert.Null(SwiGluKernel.TryApply(gateIn, hidden));
            libTorch = nn.functional.silu(gateIn.narrow(-1, 0, hidden)).mul(gateIn.narrow(-1, hidden, hidden));
        }
        var values = gateIn.data<float>().ToArray();
        var got = kernel.data<float>().ToArray();
        var theirs = libTorch.contiguous().data<float>().ToArray();
        for (int r = 0; r < batch * positions; r++)
        for (int i = 0; i < hidden; i++)
        {
            double g = values[r * 2 * hidden + i],
                u = values[r * 2 * hidden + hidden + i],
                exact = g / (1 + Math.Exp(-g)) * u;
            float mine = got[r * hidden + i];
            Assert.True(Math.Abs(mine - exact) <= 1e-6 * Math.Max(Math.Abs(exact), 1e-3), $"row {r}, {i}: {mine} against {exact}");
            Assert.True(
                Math.Abs(mine - theirs[r * hidden + i]) <= 1e-6 * Math.Max(Math.Abs(exact), 1e-3),
                $"row {r}, {i}: {mine} against libtorch's {theirs[r * hidden + i]}"
            );
        }
    }

    [Fact]
    public void LeavesAutogradToLibTorch()
    {
        using var scope = NewDisposeScope();
        var gateIn = randn(2, 3, 32).requires_grad_(true); // [batch, pos, 2·d_mlp]
        Assert.Null(SwiGluKernel.TryApply(gateIn, 16));
    }
}

// The rotary kernel against libtorch's rotation (RotaryEmbedding.Rotate with the kernels off), bit for bit, on random
// shapes (FsCheck): any batch, heads and positions, d_head with and without a vector-wide half (16, 48, 64, 80 against
// 6, 8, 12, 24), the whole head or an even part of it rotated (GPT-NeoX's rotary_pct), the tensor read through the
// transposed view the attention passes (heads interleaved in each position's row), any thread count. Also: the kernel is
// not used under autograd, and per-row tables (a padded batch) stay with libtorch.
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Kernels;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed class RotaryKernelTests
{
    private static readonly int[] HeadDims = [6, 8, 12, 16, 24, 48, 64, 80];

    [Property(MaxTest = 60)]
    public void GivesLibTorchsBits(int seed)
    {
        var random = new Random(seed);
        int batch = random.Next(1, 4),
            heads = random.Next(1, 5),
            positions = random.Next(1, 21),
            headDim = HeadDims[random.Next(HeadDims.Length)],
            rotated = random.Next(2) == 0 ? headDim : Math.Max(2, headDim / 2 / 2 * 2),
            threads = random.Next(1, 4);
        using var scope = NewDisposeScope();
        using var threadScope = TrajectoryLab.Torch.Bench.LibTorchThreads.Use(threads);
        manual_seed(seed);
        var rows = randn(batch, positions, heads, headDim); // [batch, pos, heads, d_head], as the projection lays them out
        var x = rows.transpose(1, 2); // [batch, heads, pos, d_head], strided
        // Tables of any values (the kernel only reads them): [pos, R] each
        var angles = (Cos: rand(positions, rotated).mul(2).sub(1), Sin: rand(positions, rotated).mul(2).sub(1));
        using var noGrad = no_grad();
        long before = RotaryKernel.Calls;
        var kernel = RotaryEmbedding.Rotate(x, angles.Cos, angles.Sin);
        Assert.Equal(before + 1, RotaryKernel.Calls);
        Tensor reference;
        using (WeightProduct.LibTorchOnly())
            reference = RotaryEmbedding.Rotate(x, angles.Cos, angles.Sin);
        Assert.Equal(before + 1, RotaryKernel.Calls);
        Assert.Equal(reference.shape, kernel.shape);
        Assert.Equal(reference.contiguous().data<float>().ToArray(), kernel.contiguous().data<float>().ToArray());
    }

    [Fact]
    public void LeavesAutogradAndPerRowTablesToLibTorch()
    {
        using var scope = NewDisposeScope();
        var x = randn(1, 2, 5, 16).requires_grad_(true); // [batch, heads, pos, d_head]
        var (cos, sin) = (rand(5, 16), rand(5, 16)); // [pos, d_head] each
        long before = RotaryKernel.Calls;
        var rotated = RotaryEmbedding.Rotate(x, cos, sin);
        Assert.True(rotated.requires_grad);
        using (no_grad())
            RotaryEmbedding.Rotate(x, cos.unsqueeze(0).unsqueeze(0), sin.unsqueeze(0).unsqueeze(0)); // [1, 1, pos, d_head]
        Assert.Equal(before, RotaryKernel.Calls);
    }
}

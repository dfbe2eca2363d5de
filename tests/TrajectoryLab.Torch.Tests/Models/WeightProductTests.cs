// The column-blocked weight product computes the same x·W as a plain matmul, for every shape it is used with.
using TorchSharp;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class WeightProductTests
{
    [Theory]
    [InlineData(1, 1, 8, 6)] // one decoding row
    [InlineData(4, 1, 16, 32)] // a small batch
    [InlineData(2, 3, 8, 10)] // a short prefill
    [InlineData(1, 1, 8, 7)] // odd width: falls back to the plain product
    [InlineData(8, 16, 8, 6)] // 128 rows: above the blocked threshold, plain product
    public void EqualsThePlainProduct(int batch, int pos, int input, int output)
    {
        using var scope = NewDisposeScope();
        manual_seed(batch * 1000 + pos * 100 + output);
        var x = randn(batch, pos, input); // [batch, pos, in]
        var w = randn(input, output); // [in, out]
        var blocked = WeightProduct.Apply(x, w);
        Assert.Equal(new long[] { batch, pos, output }, blocked.shape);
        var plain = x.matmul(w);
        Assert.True(blocked.allclose(plain, rtol: 1e-5, atol: 1e-6), $"max |Δ| {(blocked - plain).abs().max().item<float>()}");
    }

    [Fact]
    public void GradientsFlowThroughTheBlockedView()
    {
        using var scope = NewDisposeScope();
        manual_seed(3);
        var w = randn(8, 6).requires_grad_(true); // [in, out]
        var x = randn(1, 2, 8); // [batch, pos, in]
        WeightProduct.Apply(x, w).sum().backward();
        var expected = x.reshape(2, 8).sum(dim: 0).unsqueeze(1).expand(8, 6); // d(sum x·W)/dW = Σ_rows x, per column
        Assert.True(w.grad!.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }
}

/// <summary>In inference (grad mode off, float32, CPU) WeightProduct runs the C# kernel; it must give libtorch's product
/// for any leading shape and any x layout, and leave autograd to libtorch.</summary>
public sealed class WeightProductKernelTests
{
    [Theory]
    [InlineData(1, 1, 288, 864)] // a decoding row, fused q|k|v
    [InlineData(1, 1, 288, 32000)] // the head of the stories15M shape
    [InlineData(3, 1, 48, 100)] // a small batch, odd width
    [InlineData(17, 1, 256, 4096)] // a reference and 16 tangents
    [InlineData(2, 70, 96, 80)] // a prefill of 140 rows
    public void EqualsLibTorchsProduct(int batch, int pos, int input, int output)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(batch * 1000 + pos * 100 + output);
        var x = randn(batch, pos, input); // [batch, pos, in]
        var w = randn(input, output); // [in, out]
        long calls = TrajectoryLab.Torch.Kernels.SimdGemm.Calls;
        var kernel = WeightProduct.Apply(x, w);
        Assert.True(TrajectoryLab.Torch.Kernels.SimdGemm.Calls == calls + (TrajectoryLab.Torch.Kernels.SimdGemm.Supported ? 1 : 0));
        Tensor reference;
        using (WeightProduct.LibTorchOnly())
            reference = WeightProduct.Apply(x, w);
        Assert.Equal(new long[] { batch, pos, output }, kernel.shape);
        var scale = reference.abs().max().item<float>();
        Assert.True((kernel - reference).abs().max().item<float>() <= 1e-5f * scale);
    }

    [Fact]
    public void ReadsAStridedXAsItsValues()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(11);
        var x = randn(40, 5).t(); // [5, 40] not contiguous
        var w = randn(40, 24); // [in, out]
        var kernel = WeightProduct.Apply(x, w);
        Tensor reference;
        using (WeightProduct.LibTorchOnly())
            reference = x.matmul(w);
        Assert.True(kernel.allclose(reference, rtol: 1e-5, atol: 1e-5));
    }

    [Fact]
    public void LeavesAutogradToLibTorch()
    {
        using var scope = NewDisposeScope();
        manual_seed(12);
        var w = randn(16, 32).requires_grad_(true); // [in, out]
        var y = WeightProduct.Apply(randn(1, 1, 16), w);
        Assert.True(y.requires_grad); // a libtorch product: the kernel's output would carry no graph
    }
}

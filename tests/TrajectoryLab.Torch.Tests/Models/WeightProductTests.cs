// The column-blocked weight product computes the same x·W as a plain matmul, for every shape it is used with.
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class WeightProductTests
{
    [Theory]
    [InlineData(1, 1, 8, 6)]     // one decoding row
    [InlineData(4, 1, 16, 32)]   // a small batch
    [InlineData(2, 3, 8, 10)]    // a short prefill
    [InlineData(1, 1, 8, 7)]     // odd width: falls back to the plain product
    [InlineData(8, 16, 8, 6)]    // 128 rows: above the blocked threshold, plain product
    public void EqualsThePlainProduct(int batch, int pos, int input, int output)
    {
        using var scope = NewDisposeScope();
        manual_seed(batch * 1000 + pos * 100 + output);
        var x = randn(batch, pos, input);  // [batch, pos, in]
        var w = randn(input, output);      // [in, out]
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
        var w = randn(8, 6).requires_grad_(true);  // [in, out]
        var x = randn(1, 2, 8);                    // [batch, pos, in]
        WeightProduct.Apply(x, w).sum().backward();
        var expected = x.reshape(2, 8).sum(dim: 0).unsqueeze(1).expand(8, 6); // d(sum x·W)/dW = Σ_rows x, per column
        Assert.True(w.grad!.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }
}

// The one-pass deviation mix against the three-pass libtorch one (subtract, addmm, copy back) on random buffers (FsCheck):
// any k, head count, slot range, head width and pattern of zeros in the mix (with a tail that is not a multiple of 16), on a buffer and on a strided
// window of it. The slots outside the range (before and after) and the reference row must not move.
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed class DeviationMixTests
{
    [Property(MaxTest = 60)]
    public void MatchesTheLibTorchMix(
        PositiveInt kSeed,
        PositiveInt headsSeed,
        PositiveInt widthSeed,
        byte offsetSeed,
        byte countSeed,
        byte patternSeed
    )
    {
        int k = 1 + kSeed.Get % 20,
            heads = 1 + headsSeed.Get % 4,
            width = 1 + widthSeed.Get % 70,
            slots = 24,
            offset = offsetSeed % 12,
            count = 1 + countSeed % (slots - offset);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(k * 100 + heads * 10 + width);
        var reference = randn(1, heads, slots, width).expand(1 + k, heads, slots, width); // [1 + k, heads, slots, width]
        var start = reference + randn(1 + k, heads, slots, width).mul(1e-3); // rows near the reference
        var mix = Pattern(randn(k, k), patternSeed); // [k, k]
        var kernel = start.clone();
        AttentionCache.Mix(kernel, mix, offset, count);
        var libtorch = start.clone();
        using (WeightProduct.LibTorchOnly())
            AttentionCache.Mix(libtorch, mix, offset, count);
        Assert.True(kernel.allclose(libtorch, rtol: 1e-5, atol: 1e-6), $"max |Δ| {(kernel - libtorch).abs().max().item<float>()}");
        Assert.True(kernel[0].eq(start[0]).all().item<bool>()); // the reference row is read, never written
        if (offset > 0)
            Assert.True(kernel.narrow(2, 0, offset).eq(start.narrow(2, 0, offset)).all().item<bool>());
        if (offset + count < slots) // a head's slots are one run: the run must stop at the range's end
            Assert.True(
                kernel
                    .narrow(2, offset + count, slots - offset - count)
                    .eq(start.narrow(2, offset + count, slots - offset - count))
                    .all()
                    .item<bool>()
            );
    }

    /// <summary>The mix's zeros decide which deviations the kernel reads into each output (DeviationMix.Spans): a full
    /// matrix, R⁻¹'s upper triangle, a renormalisation's diagonal, or zeros at random (whole columns among them).</summary>
    private static Tensor Pattern(Tensor mix, byte seed) =>
        (seed % 4) switch
        {
            0 => mix,
            1 => mix.triu(),
            2 => mix.diag().diag(),
            _ => mix.mul(rand(mix.shape).gt(0.5)).mul(rand(1, mix.shape[1]).gt(0.3)),
        };

    [Fact]
    public void FollowsTheStridesOfAWindow()
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        manual_seed(4);
        var whole = randn(5, 3, 30, 20); // [1 + k, heads, slots, width]
        var window = whole.narrow(2, 6, 10); // a strided view, as WindowCache holds
        var mix = randn(4, 4);
        var expected = window.clone();
        using (WeightProduct.LibTorchOnly())
            AttentionCache.Mix(expected, mix, 2, 7);
        AttentionCache.Mix(window, mix, 2, 7);
        Assert.True(window.allclose(expected, rtol: 1e-5, atol: 1e-6));
    }
}

// Gemma 1/2/3 decoding: prefill + one-token steps + a chunk equal full recomputation (sliding windows of 3 or 4 keep
// reading the right keys from the cache, Gemma 3's local and global rotary tables stay apart), and a batch equals its
// sequences run one at a time, for full passes and greedy cached decoding. Reuses DecodingTests' checks.
namespace TrajectoryLab.Torch.Tests.Models;

public sealed class GemmaDecodingTests
{
    [Theory]
    [MemberData(nameof(TinyGemmas.Names), MemberType = typeof(TinyGemmas))]
    public void CachedDecodingEqualsFullRecomputation(string config)
    {
        using var model = TinyGemmas.Create(config);
        DecodingTests.AssertCachedDecodingEqualsFullRecomputation(model);
    }

    [Theory]
    [MemberData(nameof(TinyGemmas.Names), MemberType = typeof(TinyGemmas))]
    public void BatchEqualsOneAtATime(string config)
    {
        using var model = TinyGemmas.Create(config);
        DecodingTests.AssertBatchEqualsOneAtATime(model);
    }

    [Theory]
    [InlineData("gemma2-default-layers")]
    [InlineData("gemma3-pattern-linear")]
    public void BatchedCachedDecodingEqualsOneAtATime(string config)
    {
        using var model = TinyGemmas.Create(config);
        DecodingTests.AssertBatchedGreedyEqualsOneAtATime(model);
    }
}

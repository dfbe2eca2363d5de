// Pins the sliding-window mask to transformers' definition (masking_utils.py: sliding_window_overlay keeps kv_idx >
// q_idx − W, and_masks with causal kv_idx ≤ q_idx): a query at position i of a layer with window W sees keys j with
// 0 ≤ i − j < W, W keys including itself. Checked on StepContext.MaskFor for prefill, chunks after a cache and single
// steps, and on a Gemma 2 model's attention pattern (sliding layer 0, global layer 1).
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class SlidingWindowMaskTests
{
    /// <summary>transformers' predicate, written out.</summary>
    private static bool Visible(long query, long key, int window) => key > query - window && key <= query;

    [Theory]
    [InlineData(0, 7, 3)] // prefill longer than the window
    [InlineData(0, 3, 3)] // prefill as long as the window: only the causal mask acts
    [InlineData(5, 4, 2)] // a chunk after a cache
    [InlineData(9, 1, 4)] // one decoding step beyond the window
    [InlineData(2, 1, 4)] // one decoding step inside the window
    public void MaskForKeepsKeysLessThanTheWindowBehind(long startPos, long count, int window)
    {
        using var scope = NewDisposeScope();
        using var state = new ModelState(1, startPos + count, [new AttentionCache(1, startPos + count, 1, 2, ScalarType.Float32, CPU)]);
        var step = StepContext.Begin(zeros(1, count, ScalarType.Int64), state, startPos, null, null, ScalarType.Float32, CPU);
        var mask = step.MaskFor(window); // [pos, startPos + pos] or null: nothing masked
        for (long p = 0; p < count; p++)
            for (long key = 0; key < startPos + count; key++)
            {
                var expected = Visible(startPos + p, key, window);
                var actual = mask is null ? key <= startPos + p : mask[p, key].item<bool>();
                Assert.True(expected == actual, $"query {startPos + p}, key {key}, window {window}: visible {actual}");
            }
    }

    [Fact]
    public void Gemma2SlidingLayerAttendsToTheLastWindowKeysOnly()
    {
        using var model = TinyGemmas.Create("gemma2-default-layers"); // window 4; layers 0 and 2 slide, layer 1 is global
        var patterns = new Dictionary<int, double[]>();
        foreach (var layer in new[] { 0, 1 })
            model.Hook(HookNames.AttnPattern(layer)).register_forward_hook((_, _, result) =>
            {
                patterns[layer] = TinyLlamas.ToDoubles(result);
                return result;
            });
        const int n = 9;
        TinyLlamas.Logits(model, TinyLlamas.Tokens(model.Spec, batch: 1, length: n, seed: 2));
        for (var head = 0; head < model.Spec.NumHeads; head++)
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                {
                    Assert.Equal(Visible(i, j, 4), patterns[0][(head * n + i) * n + j] > 0);
                    Assert.Equal(j <= i, patterns[1][(head * n + i) * n + j] > 0);
                }
    }
}

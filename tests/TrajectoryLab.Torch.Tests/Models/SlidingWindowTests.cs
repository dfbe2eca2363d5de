// The sliding-window convention, pinned to transformers' (masking_utils.sliding_window_overlay: kv_idx > q_idx − W, on
// top of the causal kv_idx ≤ q_idx): the query at position i sees key j exactly when 0 ≤ i − j < W, itself and the
// W − 1 positions before it. Checked on StepContext.MaskFor for prefill, chunks after a cache and single steps, on the
// attention pattern a windowed model computes, and on long step-by-step decoding whose cache far outgrows the window.
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class SlidingWindowTests
{
    /// <summary>The mask a window of <paramref name="window"/> gives queries at <paramref name="start"/> … start + count − 1
    /// over keys 0 … start + count − 1, as bools [count][start + count]; null entries mean "no mask" (all visible).</summary>
    private static bool[][] MaskOf(int start, int count, int window)
    {
        using var scope = NewDisposeScope();
        using var state = new ModelState(1, 64, []);
        using var tokens = zeros([1, count], ScalarType.Int64);
        var step = StepContext.Begin(tokens, start == 0 ? null : state, start, null, null, ScalarType.Float32, CPU);
        var length = start + count;
        if (step.MaskFor(window) is not { } mask)
            return [.. Enumerable.Range(0, count).Select(_ => Enumerable.Repeat(true, length).ToArray())];
        Assert.Equal(new long[] { count, length }, mask.shape);
        var flat = mask.data<bool>().ToArray();
        return [.. Enumerable.Range(0, count).Select(i => flat[(i * length)..((i + 1) * length)])];
    }

    [Theory]
    [InlineData(0, 8, 3)] // prefill longer than the window
    [InlineData(0, 3, 3)] // prefill as long as the window: only causal
    [InlineData(0, 6, 1)] // each query sees itself alone
    [InlineData(5, 3, 3)] // a chunk after a cache
    [InlineData(9, 1, 4)] // one decoding step
    [InlineData(2, 1, 4)] // one step while everything is still within the window
    public void QueryAtISeesKeyJExactlyWhenIMinusJIsBelowTheWindow(int start, int count, int window)
    {
        var mask = MaskOf(start, count, window);
        for (var q = 0; q < count; q++)
        {
            var i = start + q;
            for (var j = 0; j < start + count; j++)
                Assert.True(mask[q][j] == (j <= i && i - j < window), $"query {i}, key {j}, window {window}: {mask[q][j]}");
        }
    }

    [Fact]
    public void TheAttentionPatternIsZeroBeyondTheWindowAndNotAtItsEdge()
    {
        using var model = TinyQwen3s.Create("mistral-window-3");
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 1, length: 8, seed: 2);
        double[]? pattern = null;
        var remover = model.Hook(HookNames.AttnPattern(1)).register_forward_hook((_, _, result) =>
        {
            pattern = TinyLlamas.ToDoubles(result); // [1, heads, pos, pos]
            return result;
        });
        TinyLlamas.Logits(model, tokens);
        remover.remove();
        const int n = 8;
        for (var head = 0; head < model.Spec.NumHeads; head++)
            for (var i = 0; i < n; i++)
                for (var j = 0; j < n; j++)
                {
                    var a = pattern![(head * n + i) * n + j];
                    if (j <= i && i - j < 3) Assert.True(a > 0, $"head {head}: query {i} must see key {j}");
                    else Assert.Equal(0.0, a);
                }
    }

    [Theory]
    [InlineData("mistral-window-3")]
    [InlineData("qwen2-window-upper-layers")]
    [InlineData("qwen3-window-upper-layers")]
    public void StepByStepDecodingFarPastTheWindowEqualsPrefill(string config)
    {
        using var model = TinyQwen3s.Create(config);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 40, seed: 12); // the window is 3 or 4
        var full = TinyLlamas.Logits(model, tokens);
        var stepwise = LlamaStyleParityTests.Incremental(model, tokens, [6, .. Enumerable.Repeat(1, 34)]);
        Assert.True(TinyLlamas.RelativeError(stepwise, full) < 1e-5);
    }
}

// The MLP's hidden activation hook (blocks.{l}.mlp.hook_post, TransformerLens' name) and whole-activation interventions:
// hook_post · W_out (+ b_out) is exactly hook_mlp_out, for the gated (SwiGLU) and the GPT-2 MLP; an every-position
// Replace of hook_mlp_out (zero and mean ablation of one MLP) gives the logits of a cache-free forward whose hook
// sets that MLP's output by hand, and is not a no-op. Reference: Geva et al. (2021), EMNLP (memory coefficients).
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Generation;

public sealed class MlpHookTests
{
    [Theory]
    [InlineData("gqa-untied")]
    [InlineData("gpt2")]
    public void HookPostTimesWOutIsTheMlpOutput(string config)
    {
        using var model = TinyLms.Create(config);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 1, length: 6, seed: 4);
        const int layer = 1;
        string[] hooks = [HookNames.MlpPost(layer), HookNames.MlpOut(layer)];
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 1, Capture = hooks });
        var step = session.Prefill(tokens);
        var post = step.Activations[HookNames.MlpPost(layer)]; // [pos, d_mlp]
        var output = step.Activations[HookNames.MlpOut(layer)]; // [pos, d_model]
        int d = model.Spec.HiddenSize, m = model.Spec.IntermediateSize;
        Assert.Equal([6, m], post.Shape);
        var (shape, wOut) = model.Weight(ParameterNames.Block(layer, ParameterNames.WOut)); // [d_mlp, d_model]
        Assert.Equal([m, d], shape);
        var bOut = model.HasWeight(ParameterNames.Block(layer, ParameterNames.BOut))
            ? model.Weight(ParameterNames.Block(layer, ParameterNames.BOut)).Values
            : new float[d];
        Assert.Equal(config == "gpt2", model.HasWeight(ParameterNames.Block(layer, ParameterNames.BOut)));
        var expected = new double[6 * d];
        for (var t = 0; t < 6; t++)
            for (var j = 0; j < d; j++)
            {
                var sum = (double)bOut[j];
                for (var i = 0; i < m; i++)
                    sum += (double)post.Rows[0][t * m + i] * wOut[i * d + j];
                expected[t * d + j] = sum;
            }
        Assert.True(TinyLms.RelativeError(output.Rows[0], expected) < 1e-5);
        Assert.Contains(post.Rows[0], v => v != 0); // not trivially zero
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void AnEveryPositionReplaceOfTheMlpOutputEqualsAHandWrittenAblation(bool mean)
    {
        using var model = TinyLms.Create("gqa-untied");
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 7, seed: 5);
        const int layer = 0;
        var d = model.Spec.HiddenSize;
        var random = new Random(3);
        var vector = mean ? [.. Enumerable.Range(0, d).Select(_ => (float)(random.NextDouble() - 0.5))] : new float[d];
        var ablation = Intervention.Replace(HookNames.MlpOut(layer), vector) with { EveryPosition = true };

        // By hand: a forward hook that sets hook_mlp_out to the vector at every position, on the cache-free forward.
        var plain = TinyLms.FullLogits(model.Model, tokens);
        double[][][] byHand;
        using (var fill = tensor(vector, [1, 1, d]))
        {
            var handle = model.Model.Hook(HookNames.MlpOut(layer)).register_forward_hook((_, _, output) => fill.expand_as(output).clone());
            try { byHand = TinyLms.FullLogits(model.Model, tokens); }
            finally { handle.remove(); }
        }
        using (var session = model.StartSession(new GenerationOptions
        {
            MaxNewTokens = 1,
            PromptLogits = true,
            Capture = [HookNames.Logits, HookNames.MlpOut(layer)],
            Interventions = [ablation],
        }))
        {
            var step = session.Prefill(tokens);
            var logits = step.Activations[HookNames.Logits]; // [pos, vocab] per row
            var captured = step.Activations[HookNames.MlpOut(layer)];
            for (var b = 0; b < 2; b++)
                for (var t = 0; t < 7; t++)
                    Assert.Equal(vector, captured.Rows[b].AsSpan(t * d, d).ToArray()); // every position, every row

            var vocab = model.Spec.VocabSize;
            for (var b = 0; b < 2; b++)
            {
                var expected = byHand[b].SelectMany(r => r).ToArray();
                Assert.True(TinyLms.RelativeError(logits.Rows[b], expected) < 1e-5, $"row {b}");
                var unchanged = plain[b].SelectMany(r => r).ToArray();
                Assert.True(TinyLms.RelativeError(logits.Rows[b], unchanged) > 1e-3, "the ablation changed nothing"); // not a no-op
                Assert.Equal(7 * vocab, logits.Rows[b].Length);
            }
        }
    }

    [Fact]
    public void APositionAndEveryPositionAtOnceAreRefused()
    {
        using var model = TinyLms.Create("gqa-untied");
        var bad = Intervention.Scale(HookNames.MlpOut(0), 0) with { EveryPosition = true, Position = 2 };
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 1, Interventions = [bad] });
        var error = Assert.Throws<ArgumentException>(() => session.Prefill([[1, 2, 3]]));
        Assert.Contains("every position", error.Message);
        Assert.Contains("no weight 'blocks.0.mlp.W_nope'", Assert.Throws<ArgumentException>(() => model.Weight("blocks.0.mlp.W_nope")).Message);
    }
}

// NextTokenPredictor, the one-token-per-pass reader arithmetic coding runs on (Delétang et al. 2024, "Language Modeling
// Is Compression"): its distributions are the softmax of a cache-free pass's logits (up to float32 rounding of another
// operation order), a reset context gives the same floats bit for bit, and it guards its capacity, ids and the model.
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Torch.Tests.Generation;

public sealed class NextTokenPredictorTests
{
    static readonly int[] Tokens = [1, 17, 5, 42, 9, 3, 30, 11];

    [Theory]
    [InlineData("gqa-untied")]
    [InlineData("gpt2")]
    public void Distributions_are_the_softmax_of_a_cache_free_pass(string config)
    {
        using var model = TinyLms.Create(config);
        var full = TinyLms.FullLogits(model.Model, [Tokens])[0]; // [pos][d_vocab]
        using var predictor = model.StartPredictor(Tokens.Length);
        for (var i = 0; i < Tokens.Length; i++)
        {
            var p = predictor.Read(Tokens[i]);
            var max = full[i].Max();
            var e = full[i].Select(z => Math.Exp(z - max)).ToArray();
            var expected = e.Select(x => x / e.Sum()).ToArray();
            Assert.Equal(1.0, p.Sum(x => (double)x), 1e-5); // float32 softmax: Σ within V·2⁻²⁴ of 1
            Assert.True(TinyLms.RelativeError(p, expected) < 1e-4, $"position {i}"); // another reduction order, float32
        }
    }

    [Fact]
    public void A_reset_context_repeats_the_same_floats_bit_for_bit()
    {
        using var model = TinyLms.Create();
        using var predictor = model.StartPredictor(Tokens.Length);
        var first = Tokens.Select(predictor.Read).ToArray();
        predictor.Reset();
        var second = Tokens.Select(predictor.Read).ToArray();
        for (var i = 0; i < Tokens.Length; i++)
            Assert.Equal(first[i], second[i]); // exact: same passes, same order
    }

    [Fact]
    public void Capacity_ids_and_the_model_are_guarded()
    {
        using var model = TinyLms.Create();
        using (var predictor = model.StartPredictor(2))
        {
            Assert.Throws<ArgumentOutOfRangeException>(() => predictor.Read(-1));
            predictor.Read(1);
            predictor.Read(2);
            Assert.Throws<InvalidOperationException>(() => predictor.Read(3)); // full: reset first
            Assert.Throws<InvalidOperationException>(() => model.StartSession(new GenerationOptions())); // the model is held
            predictor.Reset();
            Assert.Equal(0, predictor.Position);
        }
        using var session = model.StartSession(new GenerationOptions()); // released by Dispose
    }
}

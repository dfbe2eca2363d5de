// Batched decoding through the public session (Llama and GPT-2): step logits equal a full recomputation; a batch equals its rows run one
// at a time (sampling with shared streams included); paired rows share randomness; seeds reproduce; teacher forcing;
// per-row samplers; misuse is rejected with clear errors.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tests.Models;

namespace TrajectoryLab.Torch.Tests.Generation;

public sealed class GenerationSessionTests
{
    private static readonly SamplerOptions Sampling = new() { Temperature = 1.2, TopP = 0.9, TopK = 40, RepetitionPenalty = 1.1 };

    [Theory]
    [InlineData("mha-tied")]
    [InlineData("gpt2")]
    public void StepLogitsAndLogProbsEqualAFullRecomputation(string config)
    {
        using var model = TinyLms.Create(config);
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 2, length: 5, seed: 3);
        var results = TinyLms.Run(model, new GenerationOptions { Sampler = Sampling, Outputs = StepOutputs.Logits | StepOutputs.LogProbs }, prompts, steps: 10);
        var full = TinyLms.FullLogits(model.Model, TinyLms.Contexts(prompts, results));
        foreach (var r in results)
        {
            Assert.Equal(4 + r.Step, r.Position);
            for (var b = 0; b < 2; b++)
            {
                var expected = full[b][r.Position];
                Assert.True(TinyLms.RelativeError(r.Logits![b], expected) < 1e-5);
                var logZ = Math.Log(expected.Sum(x => Math.Exp(x - expected.Max()))) + expected.Max();
                Assert.True(TinyLms.RelativeError(r.LogProbs![b], [.. expected.Select(x => x - logZ)]) < 1e-5);
            }
        }
    }

    [Theory]
    [InlineData("gqa-untied", true)]
    [InlineData("gqa-untied", false)]
    [InlineData("gpt2", false)]
    public void ABatchEqualsItsRowsRunOneAtATime(string config, bool greedy)
    {
        using var model = TinyLms.Create(config);
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 3, length: 4, seed: 8);
        var options = new GenerationOptions { Sampler = greedy ? SamplerOptions.Greedy : Sampling, Seed = 5, StreamIds = [7, 8, 9] };
        var batched = TinyLms.Contexts(prompts, TinyLms.Run(model, options, prompts, steps: 16));
        for (var b = 0; b < prompts.Length; b++)
        {
            var single = TinyLms.Run(model, options with { StreamIds = [7 + b] }, [prompts[b]], steps: 16);
            Assert.Equal(batched[b], TinyLms.Contexts([prompts[b]], single)[0]);
        }
    }

    [Fact]
    public void RowsWithEqualContextsAndStreamsPickTheSameTokensAndOtherStreamsDiverge()
    {
        using var model = TinyLms.Create();
        var prompt = TinyLlamas.Tokens(model.Spec, batch: 1, length: 3, seed: 2)[0];
        var options = new GenerationOptions { Sampler = Sampling, StreamIds = [4, 4, 5] };
        var contexts = TinyLms.Contexts([prompt, prompt, prompt], TinyLms.Run(model, options, [prompt, prompt, prompt], steps: 40));
        Assert.Equal(contexts[0], contexts[1]);
        Assert.NotEqual(contexts[0], contexts[2]);
    }

    [Fact]
    public void TheSameSeedReproducesAndAnotherSeedDoesNot()
    {
        using var model = TinyLms.Create();
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 2, length: 3, seed: 4);
        int[][] Generate(long seed) => TinyLms.Contexts(prompts, TinyLms.Run(model, new GenerationOptions { Sampler = Sampling, Seed = seed }, prompts, 30));
        Assert.Equal(Generate(1), Generate(1));
        Assert.NotEqual(Generate(1), Generate(2));
    }

    [Fact]
    public void ForcedTokensAreAppendedAndReadByTheNextStep()
    {
        using var model = TinyLms.Create();
        var text = TinyLlamas.Tokens(model.Spec, batch: 2, length: 9, seed: 6);
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 6, Outputs = StepOutputs.Logits });
        var results = new List<StepResult> { session.Prefill([.. text.Select(t => t[..4])], [text[0][4], text[1][4]]) };
        for (var p = 5; p < 9; p++) results.Add(session.Step([text[0][p], text[1][p]]));
        Assert.Equal(text[1], session.Tokens(1));
        var full = TinyLms.FullLogits(model.Model, text);
        foreach (var r in results)
            for (var b = 0; b < 2; b++)
                Assert.True(TinyLms.RelativeError(r.Logits![b], full[b][r.Position]) < 1e-5);
    }

    [Fact]
    public void EachRowUsesItsOwnSampler()
    {
        using var model = TinyLms.Create();
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 2, length: 3, seed: 9);
        var mixed = TinyLms.Contexts(prompts, TinyLms.Run(model, new GenerationOptions { RowSamplers = [SamplerOptions.Greedy, Sampling] }, prompts, 12));
        var greedy = TinyLms.Contexts(prompts, TinyLms.Run(model, new GenerationOptions(), prompts, 12));
        var sampled = TinyLms.Contexts(prompts, TinyLms.Run(model, new GenerationOptions { Sampler = Sampling }, prompts, 12));
        Assert.Equal(greedy[0], mixed[0]);
        Assert.Equal(sampled[1], mixed[1]);
    }

    [Fact]
    public void MisuseIsRejectedWithClearErrors()
    {
        using var model = TinyLms.Create();
        using (var session = model.StartSession(new GenerationOptions { MaxNewTokens = 2 }))
        {
            Assert.Throws<InvalidOperationException>(() => session.Step());
            Assert.Throws<InvalidOperationException>(() => model.StartSession(new GenerationOptions()));
            Assert.Throws<ArgumentException>(() => session.Prefill([[1, 2], []])); // ragged is fine (left-padded), empty is not
            Assert.Throws<ArgumentException>(() => session.Prefill([]));
            Assert.Throws<ArgumentException>(() => session.Prefill([[1, 61]]));
            session.Prefill([[1, 2]]);
            Assert.Throws<InvalidOperationException>(() => session.Prefill([[1, 2]]));
            Assert.Throws<ArgumentException>(() => session.Step([1, 2]));
            session.Step();
            Assert.Contains("MaxNewTokens", Assert.Throws<InvalidOperationException>(() => session.Step()).Message);
        }
        using (var session = model.StartSession(new GenerationOptions { StreamIds = [1] }))
            Assert.Contains("stream ids", Assert.Throws<ArgumentException>(() => session.Prefill([[1], [2]])).Message);
        using (var session = model.StartSession(new GenerationOptions { Sampler = new SamplerOptions { TopP = 2 } }))
            Assert.Contains("TopP", Assert.Throws<ArgumentException>(() => session.Prefill([[1]])).Message);
    }
}

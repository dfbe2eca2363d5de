// KV-cache decoding: prefill + one-token steps + a multi-token chunk equal full recomputation; a batch equals its
// sequences run one at a time, for full passes and for greedy cached decoding. Llama-family and GPT-2 configs alike.
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class DecodingTests
{
    private const double Tolerance = 1e-5;

    /// <summary>Every config except dynamic scaling, whose frequencies (as in Hugging Face) follow the pass length, so cached
    /// keys legitimately differ from a full recomputation once the sequence outgrows the original context.</summary>
    public static TheoryData<string> CachedConfigs => new(TinyLlamas.Specs.Keys.Where(k => k != "rope-dynamic"));

    [Theory]
    [MemberData(nameof(CachedConfigs))]
    public void CachedDecodingEqualsFullRecomputation(string config)
    {
        using var model = TinyLlamas.Create(config);
        AssertCachedDecodingEqualsFullRecomputation(model);
    }

    [Theory]
    [MemberData(nameof(TinyGpt2s.Names), MemberType = typeof(TinyGpt2s))]
    public void Gpt2CachedDecodingEqualsFullRecomputation(string config)
    {
        using var model = TinyGpt2s.Create(config);
        AssertCachedDecodingEqualsFullRecomputation(model);
    }

    /// <summary>headRows runs the head for the first rows only (a perturbed batch's reference): their logits are the full
    /// batch's, for a prefill and a cached step, on a transformer and a Mamba.</summary>
    [Theory]
    [InlineData("llama", 1)]
    [InlineData("llama", 2)]
    [InlineData("mamba", 1)]
    public void TheHeadOnTheFirstRowsGivesTheirLogits(string family, long headRows)
    {
        using var model = family == "llama" ? TinyLlamas.Create("gqa-untied") : TinyMambas.Create(TinyMambas.Specs.Keys.First());
        var tokens = TinyLlamas.AsTensor(TinyLlamas.Tokens(model.Spec, batch: 3, length: 6, seed: 2)); // [3, 6]
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var all = model.NewState(3, 8);
        using var first = model.NewState(3, 8);
        var prefill = model.Forward(tokens.narrow(1, 0, 5), all, 0, lastPositionOnly: true); // [3, 1, d_vocab]
        var prefillHead = model.Forward(tokens.narrow(1, 0, 5), first, 0, lastPositionOnly: true, headRows); // [headRows, 1, d_vocab]
        Assert.Equal([headRows, 1, model.Spec.VocabSize], prefillHead.shape);
        Assert.True(prefillHead.allclose(prefill.narrow(0, 0, headRows), rtol: 1e-6, atol: 1e-6));
        var step = model.Forward(tokens.narrow(1, 5, 1), all, 5, lastPositionOnly: true); // [3, 1, d_vocab]
        var stepHead = model.Forward(tokens.narrow(1, 5, 1), first, 5, lastPositionOnly: true, headRows); // the caches agree
        Assert.True(stepHead.allclose(step.narrow(0, 0, headRows), rtol: 1e-6, atol: 1e-6));
    }

    [Fact]
    public void DynamicScalingCachedDecodingEqualsRecomputationWithinTheOriginalContext()
    {
        using var model = TinyLlamas.Create("rope-dynamic");
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 1, length: 8, seed: 4);
        var full = TinyLlamas.Logits(model, tokens);
        using var cache = model.NewState(1, 8);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var prefill = TinyLlamas.ToDoubles(model.call(TinyLlamas.AsTensor([tokens[0][..7]]), cache, 0));
        var last = TinyLlamas.ToDoubles(model.call(TinyLlamas.AsTensor([tokens[0][7..]]), cache, 7));
        Assert.True(TinyLlamas.RelativeError([.. prefill, .. last], full) < Tolerance);
    }

    [Theory]
    [MemberData(nameof(TinyLlamas.Names), MemberType = typeof(TinyLlamas))]
    public void BatchEqualsOneAtATime(string config)
    {
        using var model = TinyLlamas.Create(config);
        AssertBatchEqualsOneAtATime(model);
    }

    [Theory]
    [MemberData(nameof(TinyGpt2s.Names), MemberType = typeof(TinyGpt2s))]
    public void Gpt2BatchEqualsOneAtATime(string config)
    {
        using var model = TinyGpt2s.Create(config);
        AssertBatchEqualsOneAtATime(model);
    }

    [Fact]
    public void BatchedCachedDecodingEqualsOneAtATime()
    {
        using var model = TinyLlamas.Create("gqa-untied");
        AssertBatchedGreedyEqualsOneAtATime(model);
    }

    [Fact]
    public void Gpt2BatchedCachedDecodingEqualsOneAtATime()
    {
        using var model = TinyGpt2s.Create("gpt2-tied");
        AssertBatchedGreedyEqualsOneAtATime(model);
    }

    /// <summary>Prefill 5, then 1, 1, a chunk of 3 (causal mask offset by startPos), then 1, 1: the pieces' logits equal one full pass.</summary>
    internal static void AssertCachedDecodingEqualsFullRecomputation(CausalLm model)
    {
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 12, seed: 9);
        var full = TinyLlamas.Logits(model, tokens);
        var vocab = model.Spec.VocabSize;

        using var cache = model.NewState(batch: 2, capacity: 16);
        var chunks = new[] { 5, 1, 1, 3, 1, 1 };
        var pieces = new List<double[]>();
        for (int c = 0, start = 0; c < chunks.Length; start += chunks[c], c++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var chunk = tokens.Select(r => r[start..(start + chunks[c])]).ToArray();
            pieces.Add(TinyLlamas.ToDoubles(model.call(TinyLlamas.AsTensor(chunk), cache, start)));
        }
        // Reassemble [batch, pos, vocab] from per-chunk [batch, count, vocab] pieces.
        var incremental = new double[full.Length];
        for (int c = 0, start = 0; c < chunks.Length; start += chunks[c], c++)
        for (var b = 0; b < 2; b++)
            Array.Copy(pieces[c], b * chunks[c] * vocab, incremental, (b * 12 + start) * vocab, chunks[c] * vocab);
        Assert.True(TinyLlamas.RelativeError(incremental, full) < Tolerance);
    }

    internal static void AssertBatchEqualsOneAtATime(CausalLm model)
    {
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 3, length: 9, seed: 1);
        var batched = TinyLlamas.Logits(model, tokens);
        var single = tokens.SelectMany(t => TinyLlamas.Logits(model, [t])).ToArray();
        Assert.True(TinyLlamas.RelativeError(batched, single) < Tolerance);
    }

    internal static void AssertBatchedGreedyEqualsOneAtATime(CausalLm model)
    {
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 3, length: 4, seed: 8);
        var batched = Greedy(model, prompts, steps: 6);
        for (var b = 0; b < prompts.Length; b++)
            Assert.Equal(Greedy(model, [prompts[b]], steps: 6)[0], batched[b]);
    }

    /// <summary>Greedy continuation of equal-length prompts with a cache, one dispose scope per step: [batch][steps] token ids.</summary>
    private static long[][] Greedy(CausalLm model, int[][] prompts, int steps)
    {
        using var cache = model.NewState(prompts.Length, prompts[0].Length + steps);
        var generated = prompts.Select(_ => new long[steps]).ToArray();
        var input = TinyLlamas.AsTensor(prompts);
        long position = 0;
        for (var s = 0; s < steps; s++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var logits = model.call(input, cache, position); // [batch, pos, vocab]
            position += input.shape[1];
            var next = logits.select(1, -1).argmax(-1); // [batch]
            var ids = next.data<long>().ToArray();
            for (var b = 0; b < ids.Length; b++)
                generated[b][s] = ids[b];
            input = next.unsqueeze(1).MoveToOuterDisposeScope(); // [batch, 1]
        }
        input.Dispose();
        return generated;
    }
}

// The cache policy (CachePolicy, StreamingCache; StreamingLLM, Xiao et al. 2024, arXiv:2309.17453 §3.2) checked three
// ways. (1) Its meaning, independently of how it is computed: in a one-layer model every key depends on its own token
// and position only, so the logits of query q under the policy must be those of the model with full attention reading
// only the tokens q sees — the k sinks, then its window — at positions 0 … k + W − 1 (re-indexed within the cache).
// (2) Its state: a prefill, one-token steps and a multi-token chunk past the budget through StreamingCache give the
// logits of one stateless pass under the policy, on deep models of every rotary family (partial rotary, qk-norm, soft
// caps, sandwich norms, layers with their own window). (3) Its limits: a budget the text never fills changes nothing, and
// models it cannot run (learned positions, no attention, dynamic NTK) and padded rows are refused in one sentence.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Models.Families;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class StreamingCacheTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5; // absolute, on logits of magnitude ~1–10 in float32
    private const int Length = 24;

    private static readonly Dictionary<string, Func<DecoderModel>> Deep = new()
    {
        ["llama-gqa"] = () => TinyLlamas.Create("gqa-untied"),
        ["llama-mqa"] = () => TinyLlamas.Create("mqa"),
        ["rope-llama3"] = () => TinyLlamas.Create("rope-llama3"),
        ["neox-partial-rotary"] = () => TinyGptNeoXs.Create("neox-parallel-partial"),
        ["qwen3-qk-norm"] = () => TinyQwen3s.Create("qwen3-gqa-head-dim"),
        ["olmo2-post-norm"] = () => TinyQwen3s.Create("olmo2-gqa"),
        ["qwen3-window-upper-layers"] = () => TinyQwen3s.Create("qwen3-window-upper-layers"),
        ["gemma2-caps-sliding"] = () => TinyGemmas.Create("gemma2-default-layers"),
        ["gemma3-local-rotary"] = () => TinyGemmas.Create("gemma3-rope-parameters-caps"),
    };

    public static TheoryData<string> DeepNames => new(Deep.Keys);

    public static TheoryData<int, int> Policies =>
        new()
        {
            { 2, 5 },
            { 0, 6 },
            { 1, 4 },
            { 3, 1 },
        };

    /// <summary>Logits [pos, d_vocab] of one stateless pass over <paramref name="tokens"/> (batch 1).</summary>
    private static Tensor Stateless(DecoderModel model, long[] tokens)
    {
        using var noGrad = no_grad();
        return model.Forward(tensor(tokens, [1, tokens.Length]), null, 0, lastPositionOnly: false)[0];
    }

    private static long[] Tokens(ModelSpec spec, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, Length).Select(_ => (long)random.Next(spec.VocabSize))];
    }

    [Theory]
    [MemberData(nameof(Policies))]
    public void InOneLayerTheLogitsAreThoseOfTheVisibleTokensReadAlone(int sinks, int window)
    {
        foreach (
            var (name, spec) in new[]
            {
                ("llama", TinyLlamas.Specs["gqa-untied"] with { NumLayers = 1 }),
                ("neox-partial", TinyGptNeoXs.Specs["neox-parallel-partial"] with { NumLayers = 1 }),
            }
        )
        {
            using var scope = NewDisposeScope();
            using var model = new DecoderModel(spec);
            model.InitializeRandom(5, std: 0.3);
            var tokens = Tokens(spec, 3);
            model.Cache = new CachePolicy(sinks, window);
            var streamed = Stateless(model, tokens); // [Length, d_vocab]
            model.Cache = null;
            double worst = 0;
            for (var q = 0; q < Length; q++)
            {
                var visible = Enumerable.Range(0, q + 1).Where(c => c < sinks || c > q - window).Select(c => tokens[c]).ToArray(); // the sinks, then the window: positions 0 … |visible| − 1 within the cache
                var alone = Stateless(model, visible)[-1]; // [d_vocab]
                worst = Math.Max(worst, streamed[q].sub(alone).abs().max().item<float>());
            }
            output.WriteLine($"{name} k={sinks} W={window}: max |Δ| = {worst:E2}");
            Assert.True(worst < Tolerance, $"{name}: {worst}");
        }
    }

    [Theory]
    [MemberData(nameof(DeepNames))]
    public void DecodingThroughTheStateGivesTheStatelessLogits(string name)
    {
        using var model = Deep[name]();
        var tokens = Tokens(model.Spec, 11);
        foreach (var (sinks, window) in new[] { (2, 5), (0, 6), (1, 3) })
        {
            using var scope = NewDisposeScope();
            model.Cache = new CachePolicy(sinks, window);
            var expected = Stateless(model, tokens); // [Length, d_vocab]
            using var state = model.NewState(1, Length);
            var input = tensor(tokens, [1, Length]);
            int[] passes = [4, .. Enumerable.Repeat(1, 14), 6]; // a prefill inside the budget, steps, a chunk past it
            var logits = new List<Tensor>();
            long column = 0;
            using (no_grad())
                foreach (var p in passes)
                {
                    logits.Add(model.Forward(input.narrow(1, column, p), state, column, lastPositionOnly: false)[0]);
                    column += p;
                }
            var worst = cat(logits, 0).sub(expected).abs().max().item<float>();
            output.WriteLine($"{name} k={sinks} W={window}: max |Δ| = {worst:E2}");
            Assert.True(worst < Tolerance, $"k={sinks} W={window}: {worst}");
        }
        model.Cache = null;
    }

    [Theory]
    [MemberData(nameof(DeepNames))]
    public void ABudgetTheTextNeverFillsChangesNothing(string name)
    {
        using var scope = NewDisposeScope();
        using var model = Deep[name]();
        var tokens = Tokens(model.Spec, 5);
        var full = Stateless(model, tokens);
        model.Cache = new CachePolicy(4, Length - 4);
        var streamed = Stateless(model, tokens);
        var worst = streamed.sub(full).abs().max().item<float>();
        Assert.True(worst < Tolerance, $"{worst}");
    }

    [Fact]
    public void ASmallerWindowChangesTheLogitsOnlyAfterItFills()
    {
        using var scope = NewDisposeScope();
        using var model = TinyLlamas.Create("gqa-untied");
        var tokens = Tokens(model.Spec, 9);
        var full = Stateless(model, tokens);
        model.Cache = new CachePolicy(2, 6);
        var streamed = Stateless(model, tokens);
        var perPosition = streamed.sub(full).abs().amax([1]); // [Length]
        Assert.True(perPosition.narrow(0, 0, 8).max().item<float>() < Tolerance); // q < k + W: nothing evicted yet
        Assert.True(perPosition.narrow(0, 8, Length - 8).min().item<float>() > 1e-3); // every later query lost keys
    }

    [Fact]
    public void UnfitModelsAndPoliciesAreRefusedInOneSentence()
    {
        using var gpt2 = LanguageModel.Random(ModelSpec.Gpt2(vocabSize: 61, nEmbd: 32, nLayer: 1, nHead: 4, nPositions: 32), 1);
        Assert.Contains("learned absolute positions", Assert.Throws<ArgumentException>(() => gpt2.Cache = new CachePolicy(4, 8)).Message);
        var mambaSpec = MambaFamily.Spec(
            61,
            16,
            1,
            new MambaDesign(StateSize: 4, ConvKernel: 4, Expand: 2, TimeStepRank: 1, ProjectionBias: false)
        );
        using var mamba = LanguageModel.Random(mambaSpec, 1);
        Assert.Contains("no attention layer", Assert.Throws<ArgumentException>(() => mamba.Cache = new CachePolicy(4, 8)).Message);
        using var dynamic = new LanguageModel(TinyLlamas.Create("rope-dynamic"));
        Assert.Contains("dynamic NTK", Assert.Throws<ArgumentException>(() => dynamic.Cache = new CachePolicy(4, 8)).Message);
        using var llama = new LanguageModel(TinyLlamas.Create("gqa-untied"));
        Assert.Contains("window must be ≥ 1", Assert.Throws<ArgumentException>(() => llama.Cache = new CachePolicy(4, 0)).Message);
        Assert.Contains("sinks must be ≥ 0", Assert.Throws<ArgumentException>(() => llama.Cache = new CachePolicy(-1, 4)).Message);
        llama.Cache = new CachePolicy(1, 4);
        using var session = llama.StartSession(new GenerationOptions { MaxNewTokens = 2 });
        Assert.Contains(
            "equal length",
            Assert
                .Throws<ArgumentException>(() =>
                    session.Prefill([
                        [1, 2, 3],
                        [4],
                    ])
                )
                .Message
        );
        Assert.Throws<InvalidOperationException>(() => llama.Cache = null);
    }

    [Fact]
    public void ModelOptionsCarryThePolicyToTheLoadedModel()
    {
        var spec = TinyLlamas.Specs["gqa-untied"];
        using var model = LanguageModel.Random(spec, 2, new ModelOptions { Cache = new CachePolicy(2, 5) });
        Assert.Equal(new CachePolicy(2, 5), model.Cache);
        Assert.Throws<ArgumentException>(() =>
            LanguageModel.Random(
                ModelSpec.Gpt2(vocabSize: 61, nEmbd: 32, nLayer: 1, nHead: 4, nPositions: 32),
                1,
                new ModelOptions { Cache = new CachePolicy(2, 5) }
            )
        );
    }

    /// <summary>Three rows read the same 2-token prefix (into the 3 sink columns), then 9 different tokens each, so they
    /// differ in the sinks and the window; <paramref name="combine"/> acts on the state, then every row reads token 7.</summary>
    /// <returns>[3, 1, d_vocab] logits.</returns>
    private static Tensor BranchedThenCombined(DecoderModel model, Action<ModelState, long> combine)
    {
        model.Cache = new CachePolicy(3, 4);
        using var state = model.NewState(3, Length);
        var prefix = tensor(Enumerable.Repeat(Tokens(model.Spec, 4).Take(2).ToArray(), 3).SelectMany(t => t).ToArray(), [3, 2]);
        using var noGrad = no_grad();
        model.Forward(prefix, state, 0, lastPositionOnly: true);
        var column = 2L;
        foreach (var step in Enumerable.Range(0, 9))
            model.Forward(tensor(new long[] { 5 + step, 17 + step, 29 + step }, [3, 1]), state, column++, lastPositionOnly: true);
        combine(state, column);
        var logits = model.Forward(tensor(new long[] { 7, 7, 7 }, [3, 1]), state, column, lastPositionOnly: true);
        model.Cache = null;
        return logits;
    }

    [Fact]
    public void MixingDeviationsActsOnTheSinksAndTheWindow()
    {
        // mix = 0 makes rows 1 and 2 copies of row 0 again, in the sink buffer and the window alike.
        using var scope = NewDisposeScope();
        using var model = TinyLlamas.Create("gqa-untied");
        var logits = BranchedThenCombined(model, (state, column) => state.MixDeviations(zeros([2, 2]), 2, column));
        Assert.True(logits[1].sub(logits[0]).abs().max().item<float>() < Tolerance);
        Assert.True(logits[2].sub(logits[0]).abs().max().item<float>() < Tolerance);
    }

    [Fact]
    public void CopyingRowsActsOnTheSinksAndTheWindow()
    {
        // CopyRows (lookahead decoding keeps one branch): rows 0 and 2 take row 1's state, sinks included.
        using var scope = NewDisposeScope();
        using var model = TinyLlamas.Create("gqa-untied");
        var logits = BranchedThenCombined(model, (state, column) => state.CopyRows(tensor(new long[] { 1, 1, 1 }), 2, column));
        Assert.True(logits[0].sub(logits[1]).abs().max().item<float>() < Tolerance);
        Assert.True(logits[2].sub(logits[1]).abs().max().item<float>() < Tolerance);
        Assert.True(logits[0].sub(BranchedThenCombined(model, (_, _) => { })[0]).abs().max().item<float>() > 1e-3); // it did move
    }

    [Fact]
    public void ReorderingRowsMovesTheSinksAndTheWindow()
    {
        // Beam search re-orders rows after every step: rows [2, 0, 0] of three different 12-token contexts, then one more
        // token, give the logits of those contexts read from scratch under the policy.
        using var scope = NewDisposeScope();
        using var model = TinyLlamas.Create("gqa-untied");
        model.Cache = new CachePolicy(2, 5);
        var contexts = Enumerable.Range(0, 3).Select(r => Tokens(model.Spec, 20 + r).Take(12).ToArray()).ToArray();
        using var state = model.NewState(3, Length);
        using var noGrad = no_grad();
        model.Forward(tensor(contexts.SelectMany(c => c.Take(3)).ToArray(), [3, 3]), state, 0, lastPositionOnly: true);
        for (var column = 3; column < 12; column++)
            model.Forward(tensor(contexts.Select(c => c[column]).ToArray(), [3, 1]), state, column, lastPositionOnly: true);
        long[] parents = [2, 0, 0];
        state.CopyRows(tensor(parents), 0, 12); // what GenerationSession.ReorderRows does
        var logits = model.Forward(tensor(new long[] { 7, 7, 7 }, [3, 1]), state, 12, lastPositionOnly: true); // [3, 1, d_vocab]
        for (var row = 0; row < 3; row++)
        {
            var alone = Stateless(model, [.. contexts[parents[row]], 7])[-1]; // [d_vocab]
            Assert.True(logits[row][0].sub(alone).abs().max().item<float>() < Tolerance, $"row {row}");
        }
        model.Cache = null;
    }
}

// Qwen3, OLMo 2 and windowed Mistral/Qwen2 against the independent double-precision references over their saved
// Hugging Face tensors (ReferenceQwen3, ReferenceOlmo2): logits and every hook point agree to 1e-4 relative
// (max |Δ| / max |reference|) and the hook names are exactly HookNames.All; the HF tensors tile the canonical
// parameters; prefill equals cached decoding in pieces and one token at a time (caches longer than the windows); a batch
// equals its sequences alone, in a full pass and in greedy cached decoding.
using TrajectoryLab.Torch.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class LlamaStyleParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;
    private const double DecodingTolerance = 1e-5;

    public static TheoryData<string> Names => new(TinyQwen3s.All.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void LogitsMatchTheReference(string config)
    {
        using var model = TinyQwen3s.Create(config);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 12, seed: 3);
        var errors = ParityChecks.LogitsErrors(model, tokens, TinyQwen3s.Reference(model, config));
        var expected = TinyLlamas.Logits(model, tokens);
        for (var b = 0; b < errors.Length; b++)
        {
            output.WriteLine(FormattableString.Invariant($"{config} sequence {b}: logits relative error {errors[b]:E2}"));
            Assert.True(errors[b] < Tolerance, FormattableString.Invariant($"{config}: relative error {errors[b]:E2}"));
        }
        var reference = TinyQwen3s.Reference(model, config);
        var absolute = tokens.Select((t, b) => reference(t, null).SelectMany(r => r)
            .Select((v, i) => Math.Abs(v - expected[b * t.Length * model.Spec.VocabSize + i])).Max()).Max();
        output.WriteLine(FormattableString.Invariant($"{config}: largest absolute logit difference {absolute:E2}"));
        Assert.True(absolute < Tolerance);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryHookPointMatchesTheReference(string config)
    {
        using var model = TinyQwen3s.Create(config, seed: 11);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 10, seed: 5);
        var worst = ParityChecks.WorstHookError(model, tokens, TinyQwen3s.Reference(model, config), Tolerance, config);
        output.WriteLine(FormattableString.Invariant($"{config}: worst hook-point relative error {worst:E2}"));

        using var fresh = TinyQwen3s.Create(config, seed: 11);
        var (absolute, where) = WorstAbsoluteHookDifference(fresh, tokens, TinyQwen3s.Reference(fresh, config));
        output.WriteLine(FormattableString.Invariant($"{config}: largest absolute hook-point difference {absolute:E2} ({where})"));
        Assert.True(absolute < Tolerance, FormattableString.Invariant($"{config} {where}: |Δ| {absolute:E2}"));
    }

    /// <summary>max |captured − reference| over every hook point of every sequence, and where it occurs.</summary>
    private static (double Difference, string Hook) WorstAbsoluteHookDifference(
        CausalLm model, int[][] tokens, ParityChecks.ReferenceForward reference)
    {
        var captured = new Dictionary<string, double[]>();
        foreach (var (name, module) in model.named_modules().Where(m => m.module is HookPoint))
            ((HookPoint)module).register_forward_hook((_, _, result) =>
            {
                captured[name] = TinyLlamas.ToDoubles(result);
                return result;
            });
        TinyLlamas.Logits(model, tokens);
        var worst = (Difference: 0.0, Hook: "");
        for (var b = 0; b < tokens.Length; b++)
        {
            var expected = new Dictionary<string, double[]>();
            reference(tokens[b], expected);
            foreach (var (name, values) in expected)
            {
                var per = captured[name].Length / tokens.Length;
                for (var i = 0; i < values.Length; i++)
                    if (Math.Abs(captured[name][b * per + i] - values[i]) is var d && d > worst.Difference)
                        worst = (d, name);
            }
        }
        return worst;
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void ParametersCarryTheCanonicalNamesAndShapes(string config)
    {
        using var model = new DecoderModel(TinyQwen3s.All[config].Spec);
        ParityChecks.AssertWeightMapFillsTheParameters(model);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void CachedDecodingEqualsFullRecomputation(string config)
    {
        using var model = TinyQwen3s.Create(config);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 12, seed: 9);
        var full = TinyLlamas.Logits(model, tokens);
        Assert.True(TinyLlamas.RelativeError(Incremental(model, tokens, [5, 1, 1, 3, 1, 1]), full) < DecodingTolerance);
        Assert.True(TinyLlamas.RelativeError(Incremental(model, tokens, [.. Enumerable.Repeat(1, 12)]), full) < DecodingTolerance);
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void BatchEqualsOneAtATime(string config)
    {
        using var model = TinyQwen3s.Create(config);
        DecodingTests.AssertBatchEqualsOneAtATime(model);
        DecodingTests.AssertBatchedGreedyEqualsOneAtATime(model);
    }

    /// <summary>The logits of <paramref name="tokens"/> fed through a cache in chunks of the given sizes, reassembled as
    /// [batch, pos, vocab].</summary>
    internal static double[] Incremental(CausalLm model, int[][] tokens, int[] chunks)
    {
        int batch = tokens.Length, length = tokens[0].Length, vocab = model.Spec.VocabSize;
        using var cache = model.NewState(batch, capacity: length + 4);
        var result = new double[batch * length * vocab];
        for (int c = 0, start = 0; c < chunks.Length; start += chunks[c], c++)
        {
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var chunk = tokens.Select(r => r[start..(start + chunks[c])]).ToArray();
            var piece = TinyLlamas.ToDoubles(model.call(TinyLlamas.AsTensor(chunk), cache, start)); // [batch, count, vocab]
            for (var b = 0; b < batch; b++)
                Array.Copy(piece, b * chunks[c] * vocab, result, (b * length + start) * vocab, chunks[c] * vocab);
        }
        return result;
    }
}

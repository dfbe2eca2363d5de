// The TorchSharp Gemma 1/2/3 against the independent double-precision reference over its saved Hugging Face folder:
// logits and every hook point agree within 1e-4, both absolutely (max |Δ|) and relative to the reference's scale
// (max |Δ| / max |reference|), on tiny random configs of every option; hook names are exactly HookNames.All.
using TrajectoryLab.Torch.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class GemmaParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Theory]
    [MemberData(nameof(TinyGemmas.Names), MemberType = typeof(TinyGemmas))]
    public void LogitsMatchTheReference(string config)
    {
        using var model = TinyGemmas.Create(config);
        var reference = TinyGemmas.Reference(model, config);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 12, seed: 3);
        var logits = TinyLlamas.Logits(model, tokens);
        var per = logits.Length / tokens.Length;
        for (var b = 0; b < tokens.Length; b++)
        {
            var expected = reference.Forward(tokens[b]).SelectMany(r => r).ToArray();
            var (absolute, relative) = Errors(logits.AsSpan(b * per, per), expected);
            var line = FormattableString.Invariant($"{config} sequence {b}: logits max |Δ| {absolute:E2}, relative {relative:E2}");
            output.WriteLine(line);
            Assert.True(absolute < Tolerance && relative < Tolerance, line);
        }
    }

    [Theory]
    [MemberData(nameof(TinyGemmas.Names), MemberType = typeof(TinyGemmas))]
    public void EveryHookPointMatchesTheReference(string config)
    {
        using var model = TinyGemmas.Create(config, seed: 11);
        var reference = TinyGemmas.Reference(model, config);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 10, seed: 5);
        var captured = new Dictionary<string, double[]>();
        var hookPoints = model.named_modules().Where(m => m.module is HookPoint).ToList();
        Assert.Equal(HookNames.All(model.Spec).Order(), hookPoints.Select(m => m.name).Order());
        foreach (var (name, module) in hookPoints)
            ((HookPoint)module).register_forward_hook((_, _, result) =>
            {
                captured[name] = TinyLlamas.ToDoubles(result);
                return result;
            });
        TinyLlamas.Logits(model, tokens);

        var (worstAbsolute, worstRelative, where) = (0.0, 0.0, "");
        for (var b = 0; b < tokens.Length; b++)
        {
            var expected = new Dictionary<string, double[]>();
            reference.Forward(tokens[b], expected);
            Assert.Equal(captured.Keys.Order(), expected.Keys.Order());
            foreach (var (name, values) in expected)
            {
                var per = captured[name].Length / tokens.Length;
                var (absolute, relative) = Errors(captured[name].AsSpan(b * per, per), values);
                if (absolute > worstAbsolute)
                    (worstAbsolute, where) = (absolute, name);
                worstRelative = Math.Max(worstRelative, relative);
                Assert.True(absolute < Tolerance && relative < Tolerance,
                    FormattableString.Invariant($"{config} {name} sequence {b}: max |Δ| {absolute:E2}, relative {relative:E2}"));
            }
        }
        output.WriteLine(FormattableString.Invariant(
            $"{config}: worst hook-point max |Δ| {worstAbsolute:E2} ({where}), worst relative {worstRelative:E2}"));
    }

    [Theory]
    [MemberData(nameof(TinyGemmas.Names), MemberType = typeof(TinyGemmas))]
    public void ParametersCarryTheCanonicalNamesAndShapes(string config)
    {
        using var model = new DecoderModel(TinyGemmas.Spec(config));
        ParityChecks.AssertWeightMapFillsTheParameters(model);
    }

    [Fact]
    public void EmbeddingIsScaledBySqrtDModelAndTheHeadIsTied()
    {
        using var model = TinyGemmas.Create("gemma-mqa-tied");
        var tokens = new[] { new[] { 5, 9 } };
        double[]? embedded = null;
        model.Hook(HookNames.Embed).register_forward_hook((_, _, result) =>
        {
            embedded = TinyLlamas.ToDoubles(result);
            return result;
        });
        TinyLlamas.Logits(model, tokens);
        var table = TinyLlamas.ToDoubles(model.named_parameters().Single(p => p.name == ParameterNames.UnembedW).parameter); // [d, vocab]
        for (var e = 0; e < 32; e++)
            Assert.Equal(table[e * 61 + 9] * Math.Sqrt(32), embedded![32 + e], 5);
        Assert.DoesNotContain(model.named_parameters(), p => p.name == ParameterNames.EmbedW);
    }

    [Fact]
    public void InBfloat16TheEmbeddingScaleIsRoundedFirstAsTransformersDoes()
    {
        // transformers: embed_tokens(ids) * embed_scale.to(bfloat16), i.e. √32 = 5.656854… taken as 5.65625.
        using var model = TinyGemmas.Create("gemma-untied-bias-linear", dtype: ScalarType.BFloat16);
        double[]? embedded = null;
        model.Hook(HookNames.Embed).register_forward_hook((_, _, result) =>
        {
            embedded = TinyLlamas.ToDoubles(result);
            return result;
        });
        int[] ids = [5, 9, 17, 33];
        TinyLlamas.Logits(model, [ids]);
        using var scope = NewDisposeScope();
        var table = model.named_parameters().Single(p => p.name == ParameterNames.EmbedW).parameter; // [vocab, d_model]
        var rows = table.index_select(0, tensor(ids.Select(i => (long)i).ToArray())); // [4, d_model]
        var expected = rows.mul(tensor(Math.Sqrt(32), ScalarType.BFloat16)); // bfloat16 × bfloat16
        Assert.Equal(TinyLlamas.ToDoubles(expected), embedded!);
    }

    /// <summary>max |a − b| and max |a − b| / max |b|.</summary>
    private static (double Absolute, double Relative) Errors(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, scale = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return (diff, diff / scale);
    }
}

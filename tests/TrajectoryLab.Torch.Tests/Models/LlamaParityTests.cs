// The TorchSharp Llama against the independent double-precision reference: logits and every hook point agree to
// 1e-4 relative (max |Δ| / max |reference|) on tiny random configs of every feature; names match the one table.
using TrajectoryLab.Torch.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class LlamaParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Theory]
    [MemberData(nameof(TinyLlamas.Names), MemberType = typeof(TinyLlamas))]
    public void LogitsMatchTheReference(string config)
    {
        using var model = TinyLlamas.Create(config);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 12, seed: 3);
        var logits = TinyLlamas.Logits(model, tokens);
        var reference = TinyLlamas.Reference(model);
        var perSequence = logits.Length / tokens.Length;
        for (var b = 0; b < tokens.Length; b++)
        {
            var expected = reference.Forward(tokens[b]).SelectMany(r => r).ToArray();
            var error = TinyLlamas.RelativeError(logits.AsSpan(b * perSequence, perSequence), expected);
            output.WriteLine(FormattableString.Invariant($"{config} sequence {b}: logits relative error {error:E2}"));
            Assert.True(error < Tolerance, FormattableString.Invariant($"{config}: relative error {error:E2}"));
        }
    }

    [Theory]
    [MemberData(nameof(TinyLlamas.Names), MemberType = typeof(TinyLlamas))]
    public void EveryHookPointMatchesTheReference(string config)
    {
        using var model = TinyLlamas.Create(config, seed: 11);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 10, seed: 5);
        var captured = new Dictionary<string, double[]>();
        var hookPoints = model.named_modules().Where(m => m.module is HookPoint).ToList();
        Assert.Equal(HookNames.All(model.Spec.NumLayers).Order(), hookPoints.Select(m => m.name).Order());
        foreach (var (name, module) in hookPoints)
            ((HookPoint)module).register_forward_hook((_, _, result) =>
            {
                captured[name] = TinyLlamas.ToDoubles(result);
                return result;
            });

        var logits = TinyLlamas.Logits(model, tokens);
        var reference = TinyLlamas.Reference(model);
        var worst = 0.0;
        for (var b = 0; b < tokens.Length; b++)
        {
            var expected = new Dictionary<string, double[]>();
            reference.Forward(tokens[b], expected);
            foreach (var (name, values) in expected)
            {
                var per = captured[name].Length / tokens.Length;
                var error = TinyLlamas.RelativeError(captured[name].AsSpan(b * per, per), values);
                worst = Math.Max(worst, error);
                Assert.True(error < Tolerance, FormattableString.Invariant($"{config} {name} sequence {b}: relative error {error:E2}"));
            }
        }
        Assert.Equal(captured[HookNames.Logits], logits);
        output.WriteLine(FormattableString.Invariant($"{config}: worst hook-point relative error {worst:E2}"));
    }

    [Theory]
    [MemberData(nameof(TinyLlamas.Names), MemberType = typeof(TinyLlamas))]
    public void ParametersCarryTheCanonicalNamesAndShapes(string config)
    {
        using var model = new LlamaModel(TinyLlamas.Specs[config]);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        var map = LlamaWeightMap.For(model.Spec);
        Assert.Equal(map.Select(m => m.CanonicalName).Order(), parameters.Keys.Order());
        foreach (var m in map)
            Assert.Equal(HfModelFolder.CanonicalShape(m.CanonicalName, model.Spec), parameters[m.CanonicalName]);
    }

    [Fact]
    public void HookCanReplaceAnActivation()
    {
        using var model = TinyLlamas.Create("gqa-untied");
        var tokens = TinyLlamas.Tokens(model.Spec, 1, 6, seed: 2);
        var before = TinyLlamas.Logits(model, tokens);
        var hook = model.named_modules().Single(m => m.name == HookNames.ResidPost(0)).module;
        var remover = ((HookPoint)hook).register_forward_hook((_, _, result) => result * 0);
        Assert.NotEqual(before, TinyLlamas.Logits(model, tokens));
        remover.remove();
        Assert.Equal(before, TinyLlamas.Logits(model, tokens));
    }
}

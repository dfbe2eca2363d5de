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
        var errors = ParityChecks.LogitsErrors(model, tokens, TinyLlamas.Reference(model).Forward);
        for (var b = 0; b < errors.Length; b++)
        {
            output.WriteLine(FormattableString.Invariant($"{config} sequence {b}: logits relative error {errors[b]:E2}"));
            Assert.True(errors[b] < Tolerance, FormattableString.Invariant($"{config}: relative error {errors[b]:E2}"));
        }
    }

    [Theory]
    [MemberData(nameof(TinyLlamas.Names), MemberType = typeof(TinyLlamas))]
    public void EveryHookPointMatchesTheReference(string config)
    {
        using var model = TinyLlamas.Create(config, seed: 11);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 10, seed: 5);
        var worst = ParityChecks.WorstHookError(model, tokens, TinyLlamas.Reference(model).Forward, Tolerance, config, output.WriteLine);
        output.WriteLine(FormattableString.Invariant($"{config}: worst hook-point relative error {worst:E2}"));
    }

    [Theory]
    [MemberData(nameof(TinyLlamas.Names), MemberType = typeof(TinyLlamas))]
    public void ParametersCarryTheCanonicalNamesAndShapes(string config)
    {
        using var model = new DecoderModel(TinyLlamas.Specs[config]);
        ParityChecks.AssertWeightMapFillsTheParameters(model);
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

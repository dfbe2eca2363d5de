// The TorchSharp GPT-2 against the independent double-precision reference over its Hugging Face tensors: logits and
// every hook point agree to 1e-4 relative (max |Δ| / max |reference|) on tiny random configs; names match the one table.
using TrajectoryLab.Torch.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class Gpt2ParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Theory]
    [MemberData(nameof(TinyGpt2s.Names), MemberType = typeof(TinyGpt2s))]
    public void LogitsMatchTheReference(string config)
    {
        using var model = TinyGpt2s.Create(config);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 12, seed: 3);
        var errors = ParityChecks.LogitsErrors(model, tokens, TinyGpt2s.Reference(model).Forward);
        for (var b = 0; b < errors.Length; b++)
        {
            output.WriteLine(FormattableString.Invariant($"{config} sequence {b}: logits relative error {errors[b]:E2}"));
            Assert.True(errors[b] < Tolerance, FormattableString.Invariant($"{config}: relative error {errors[b]:E2}"));
        }
    }

    [Theory]
    [MemberData(nameof(TinyGpt2s.Names), MemberType = typeof(TinyGpt2s))]
    public void EveryHookPointMatchesTheReference(string config)
    {
        using var model = TinyGpt2s.Create(config, seed: 11);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 10, seed: 5);
        var worst = ParityChecks.WorstHookError(model, tokens, TinyGpt2s.Reference(model).Forward, Tolerance, config, output.WriteLine);
        output.WriteLine(FormattableString.Invariant($"{config}: worst hook-point relative error {worst:E2}"));
    }

    [Theory]
    [MemberData(nameof(TinyGpt2s.Names), MemberType = typeof(TinyGpt2s))]
    public void ParametersCarryTheCanonicalNamesAndShapes(string config)
    {
        using var model = new DecoderModel(TinyGpt2s.Specs[config]);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        var map = HfWeightMap.For(model.Spec);
        Assert.Equal(map.Select(m => m.CanonicalName).Order(), parameters.Keys.Order()); // one HF tensor per parameter (c_attn is W_QKV)
        foreach (var m in map)
            Assert.Equal(HfModelFolder.CanonicalShape(m.CanonicalName, model.Spec), parameters[m.CanonicalName]);
    }

    [Fact]
    public void CreateBuildsTheArchitectureTheSpecNames()
    {
        using var gpt2 = CausalLm.Create(TinyGpt2s.Specs["gpt2-tied"]);
        using var llama = CausalLm.Create(TinyLlamas.Specs["gqa-untied"]);
        var (gpt2Names, llamaNames) = (gpt2.named_parameters().Select(p => p.name).ToHashSet(), llama.named_parameters().Select(p => p.name).ToHashSet());
        Assert.Contains(ParameterNames.PosEmbedW, gpt2Names);       // learned positions, LayerNorm with a bias
        Assert.Contains("ln_final.b", gpt2Names);
        Assert.DoesNotContain(ParameterNames.PosEmbedW, llamaNames); // rotary positions, RMSNorm without one
        Assert.DoesNotContain("ln_final.b", llamaNames);
        Assert.NotNull(gpt2.Hook("hook_pos_embed"));
        Assert.Throws<ArgumentException>(() => llama.Hook("hook_pos_embed"));
    }

    [Fact]
    public void PositionsBeyondNPositionsAreRejected()
    {
        using var model = TinyGpt2s.Create("gpt2-untied-inner");
        using var cache = model.NewState(batch: 1, capacity: 16);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var e = Assert.Throws<ArgumentException>(() => model.call(TinyLlamas.AsTensor(TinyLlamas.Tokens(model.Spec, 1, 2, seed: 1)), cache, 11));
        Assert.Contains("n_positions", e.Message);
    }
}

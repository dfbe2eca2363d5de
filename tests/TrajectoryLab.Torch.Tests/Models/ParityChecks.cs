// Comparisons of any CausalLm with a double-precision reference forward, shared by the architectures' parity tests:
// logits per sequence, and every hook point (whose names must be exactly HookNames.All of the model's spec).
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Models;

internal static class ParityChecks
{
    /// <summary>A reference forward of one sequence: logits [pos][vocab], hook activations into the dictionary when given.</summary>
    public delegate double[][] ReferenceForward(int[] tokens, Dictionary<string, double[]>? hooks);

    /// <summary>Relative error of each sequence's logits (a batched pass without cache) against the reference.</summary>
    public static double[] LogitsErrors(CausalLm model, int[][] tokens, ReferenceForward reference)
    {
        var logits = TinyLlamas.Logits(model, tokens);
        var perSequence = logits.Length / tokens.Length;
        return tokens.Select((sequence, b) => TinyLlamas.RelativeError(
            logits.AsSpan(b * perSequence, perSequence), reference(sequence, null).SelectMany(r => r).ToArray())).ToArray();
    }

    /// <summary>Captures every hook point in one batched pass, checks the set of names, and asserts that each activation
    /// of each sequence agrees with the reference within <paramref name="tolerance"/>; returns the worst relative error.</summary>
    public static double WorstHookError(CausalLm model, int[][] tokens, ReferenceForward reference, double tolerance, string config)
    {
        var captured = new Dictionary<string, double[]>();
        var hookPoints = model.named_modules().Where(m => m.module is HookPoint).ToList();
        Assert.Equal(HookNames.All(model.Spec).Order(), hookPoints.Select(m => m.name).Order());
        foreach (var (name, module) in hookPoints)
            ((HookPoint)module).register_forward_hook((_, _, result) =>
            {
                captured[name] = TinyLlamas.ToDoubles(result);
                return result;
            });

        var logits = TinyLlamas.Logits(model, tokens);
        var worst = 0.0;
        for (var b = 0; b < tokens.Length; b++)
        {
            var expected = new Dictionary<string, double[]>();
            reference(tokens[b], expected);
            Assert.Equal(captured.Keys.Order(), expected.Keys.Order());
            foreach (var (name, values) in expected)
            {
                var per = captured[name].Length / tokens.Length;
                var error = TinyLlamas.RelativeError(captured[name].AsSpan(b * per, per), values);
                worst = Math.Max(worst, error);
                Assert.True(error < tolerance, FormattableString.Invariant($"{config} {name} sequence {b}: relative error {error:E2}"));
            }
        }
        Assert.Equal(captured[HookNames.Logits], logits);
        return worst;
    }
}

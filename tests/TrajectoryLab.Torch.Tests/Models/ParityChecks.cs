// Comparisons of any CausalLm with a double-precision reference forward, shared by the architectures' parity tests:
// logits per sequence, and every hook point (whose names must be exactly HookNames.All of the model's spec); and the
// weight map of a model against its parameters.
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

    /// <summary>The absolute bar: every logit and hook-point value within 1e-4 of the double-precision reference.</summary>
    public const double AbsoluteTolerance = 1e-4;

    /// <summary>Captures every hook point in one batched pass, checks the set of names, and asserts that each activation
    /// of each sequence agrees with the reference within <paramref name="tolerance"/> relative and
    /// <see cref="AbsoluteTolerance"/> absolute (hook_logits included); returns the worst relative error and reports the
    /// largest absolute difference through <paramref name="log"/>.</summary>
    public static double WorstHookError(
        CausalLm model, int[][] tokens, ReferenceForward reference, double tolerance, string config, Action<string>? log = null)
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
        var (largest, largestAt) = (0.0, "");
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
                var absolute = MaxAbsoluteDifference(captured[name].AsSpan(b * per, per), values);
                if (absolute > largest)
                    (largest, largestAt) = (absolute, name);
                Assert.True(
                    absolute < AbsoluteTolerance,
                    FormattableString.Invariant($"{config} {name} sequence {b}: max |Δ| {absolute:E2}"));
            }
        }
        log?.Invoke(FormattableString.Invariant($"{config}: largest absolute hook-point difference {largest:E2} ({largestAt})"));
        Assert.Equal(captured[HookNames.Logits], logits);
        return worst;
    }

    /// <summary>max_i |actual_i − expected_i|.</summary>
    public static double MaxAbsoluteDifference(ReadOnlySpan<double> actual, double[] expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        var max = 0.0;
        for (var i = 0; i < expected.Length; i++)
            max = Math.Max(max, Math.Abs(actual[i] - expected[i]));
        return max;
    }

    /// <summary>Asserts that the model's parameters are exactly the canonical names its HF weight map fills, each HF tensor
    /// named once, each parameter of its canonical shape, and that the HF tensors filling one parameter tile its columns
    /// exactly: no gap, no overlap (q|k|v, gate|up).</summary>
    public static void AssertWeightMapFillsTheParameters(CausalLm model)
    {
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        var map = HfWeightMap.For(model.Spec);
        Assert.Equal(map.Select(m => m.CanonicalName).Distinct().Order(), parameters.Keys.Order());
        Assert.Equal(map.Count, map.Select(m => m.HfName).Distinct().Count());
        foreach (var fused in map.GroupBy(m => m.CanonicalName))
        {
            var shape = HfModelFolder.CanonicalShape(fused.Key, model.Spec);
            Assert.Equal(shape, parameters[fused.Key]);
            var next = 0L;
            foreach (var m in fused.OrderBy(m => m.ColumnStart))
            {
                Assert.Equal(next, m.ColumnStart);
                next += m.Columns ?? shape[^1];
            }
            Assert.Equal(shape[^1], next);
        }
    }
}

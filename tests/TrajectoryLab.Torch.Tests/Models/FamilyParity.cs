// Parity of a model with a double-precision reference over its Hugging Face tensors, absolute and relative: the model
// is saved as a Hugging Face folder, the reference reads that file's tensors by name, and the logits and every hook point
// (whose names must be exactly HookNames.All of the spec) must agree within a tolerance both in max |Δ| and in
// max |Δ| / max |reference|. Used by the GPT-NeoX and Phi-3 parity tests.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Models;

internal static class FamilyParity
{
    /// <summary>The largest differences found: over the logits, and over every hook point (logits included).</summary>
    public readonly record struct Errors(
        double LogitsAbsolute, double LogitsRelative, double HookAbsolute, double HookRelative, string WorstHook)
    {
        /// <summary>One line for the test output.</summary>
        public string Describe(string config) =>
            FormattableString.Invariant($"{config}: logits max |Δ| {LogitsAbsolute:E2} (relative {LogitsRelative:E2}); ")
            + FormattableString.Invariant($"hook points max |Δ| {HookAbsolute:E2} at {WorstHook} (relative {HookRelative:E2})");
    }

    /// <summary>Every tensor <paramref name="model"/> saves as a Hugging Face folder, read back by name as doubles in the
    /// file's own layout.</summary>
    public static Dictionary<string, double[]> HfTensors(CausalLm model)
    {
        using var folder = new TempFolder();
        HfModelFolder.Save(model, folder.Path);
        return TinyGpt2s.ReadAll(folder.File(SafetensorsCheckpoint.SingleFileName));
    }

    /// <summary>Runs <paramref name="tokens"/> as one batch with every hook point captured, checks the set of hook names,
    /// and asserts that each sequence's logits and activations agree with <paramref name="reference"/> within
    /// <paramref name="tolerance"/>, absolutely and relatively.</summary>
    public static Errors Check(CausalLm model, int[][] tokens, ParityChecks.ReferenceForward reference, double tolerance, string config)
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
        Assert.Equal(captured[HookNames.Logits], logits);

        var errors = new Errors(0, 0, 0, 0, "");
        for (var b = 0; b < tokens.Length; b++)
        {
            var expected = new Dictionary<string, double[]>();
            reference(tokens[b], expected);
            Assert.Equal(captured.Keys.Order(), expected.Keys.Order());
            foreach (var (name, values) in expected)
            {
                var per = captured[name].Length / tokens.Length;
                var actual = captured[name].AsSpan(b * per, per);
                var (absolute, relative) = (AbsoluteError(actual, values), TinyLlamas.RelativeError(actual, values));
                Assert.True(absolute < tolerance && relative < tolerance,
                    FormattableString.Invariant($"{config} {name} sequence {b}: absolute error {absolute:E2}, relative {relative:E2}"));
                if (name == HookNames.Logits)
                    errors = errors with
                    {
                        LogitsAbsolute = Math.Max(errors.LogitsAbsolute, absolute),
                        LogitsRelative = Math.Max(errors.LogitsRelative, relative),
                    };
                if (absolute > errors.HookAbsolute)
                    errors = errors with { HookAbsolute = absolute, WorstHook = name };
                errors = errors with { HookRelative = Math.Max(errors.HookRelative, relative) };
            }
        }
        return errors;
    }

    /// <summary>max |a − b|.</summary>
    public static double AbsoluteError(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        var diff = 0.0;
        for (var i = 0; i < expected.Length; i++) diff = Math.Max(diff, Math.Abs(actual[i] - expected[i]));
        return diff;
    }

    /// <summary>A model of <paramref name="spec"/> with every parameter random (norm weights near 1, every bias nonzero), so
    /// each one matters.</summary>
    public static DecoderModel RandomModel(ModelSpec spec, long seed, TorchSharp.torch.ScalarType dtype)
    {
        var model = new DecoderModel(spec, dtype);
        model.InitializeRandom(seed, std: 0.2);
        using var noGrad = TorchSharp.torch.no_grad();
        // A private stream with the seed the global one had: tests run in parallel, and draws from the shared generator
        // could interleave with another test's.
        using var draws = new TorchSharp.torch.Generator((ulong)(seed + 1));
        foreach (var (n, p) in model.named_parameters())
            if (n.EndsWith(".w", StringComparison.Ordinal) || n.EndsWith(".b", StringComparison.Ordinal)
                || n.Contains(".b_", StringComparison.Ordinal))
                p.add_(TorchSharp.torch.randn(p.shape, dtype: p.dtype, device: p.device, generator: draws).mul_(0.3));
        return model;
    }
}

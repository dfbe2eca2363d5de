// What every golden checkpoint test does with its committed folder (Golden/<name>/): load it, continue a prompt greedily
// for 16 tokens, and sum |logits| over the prefill and over the last step; expected.txt holds the tokens on line 1, the
// prefill sum on line 2 and, where a family pins it too (Gemma's sliding layers read only the last keys), the last
// step's sum on line 3. The sums must agree within 1e-4 relative, the tokens exactly.
using System.Globalization;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Sampling;

namespace TrajectoryLab.Torch.Tests.Golden;

internal static class GoldenCheckpoint
{
    /// <summary>The committed folder <paramref name="name"/> as copied next to the test assembly.</summary>
    public static string Folder(string name) => Path.Combine(AppContext.BaseDirectory, "Golden", name);

    /// <summary>Greedy continuation of <paramref name="prompt"/> (16 tokens) and Σ|logits| over the prefill and at the last
    /// step, computed from <paramref name="folder"/>.</summary>
    public static (int[] Tokens, double PrefillSum, double LastSum) Compute(string folder, int[] prompt)
    {
        using var lm = LanguageModel.Load(folder);
        using var session = lm.StartSession(
            new GenerationOptions { MaxNewTokens = 16, Sampler = SamplerOptions.Greedy, Outputs = StepOutputs.Logits });
        var step = session.Prefill([prompt]);
        var prefill = step.Logits![0].Sum(v => Math.Abs((double)v));
        for (var t = 1; t < 16; t++) step = session.Step();
        return (session.Tokens(0)[prompt.Length..], prefill, step.Logits![0].Sum(v => Math.Abs((double)v)));
    }

    /// <summary>Asserts that the committed folder <paramref name="name"/> still gives the tokens and sums of its
    /// expected.txt.</summary>
    public static void AssertUnchanged(string name, int[] prompt)
    {
        var expected = File.ReadAllLines(Path.Combine(Folder(name), "expected.txt"));
        var (tokens, prefillSum, lastSum) = Compute(Folder(name), prompt);
        Assert.Equal(expected[0], string.Join(" ", tokens));
        var sums = new[] { prefillSum, lastSum }.Take(expected.Length - 1);
        foreach (var (actual, line) in sums.Zip(expected.Skip(1)))
        {
            var sum = double.Parse(line, CultureInfo.InvariantCulture);
            Assert.True(Math.Abs(actual - sum) <= 1e-4 * sum, FormattableString.Invariant($"Σ|logits| {actual:R} vs {sum:R}"));
        }
    }

    /// <summary>Saves <paramref name="model"/> into <paramref name="target"/> and writes its expected.txt (the last step's
    /// sum only when <paramref name="withLastSum"/>).</summary>
    public static void Write(CausalLm model, string target, int[] prompt, bool withLastSum = false)
    {
        HfModelFolder.Save(model, target);
        var (tokens, prefillSum, lastSum) = Compute(target, prompt);
        var sums = (withLastSum ? new[] { prefillSum, lastSum } : [prefillSum]).Select(v => v.ToString("R", CultureInfo.InvariantCulture));
        File.WriteAllLines(Path.Combine(target, "expected.txt"), [string.Join(" ", tokens), .. sums]);
    }

    /// <summary>The Golden folder of the source tree, where the generators write.</summary>
    public static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") =>
        Path.GetDirectoryName(path)!;
}

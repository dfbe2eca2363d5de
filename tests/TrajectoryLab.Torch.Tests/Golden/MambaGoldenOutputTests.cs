// Golden outputs of a tiny Mamba checkpoint written once and committed (Golden/mamba/: transformers' MambaConfig layout,
// tied head, no projection biases, convolution bias, d_state 4, d_conv 4): its greedy tokens and logits checksum must
// not change. A change here means the model now computes something else: a bug, or a deliberate change that must
// regenerate the files (remove the Skip of WriteGoldenFiles, run it once, review the diff, commit).
// Reference: Gu & Dao (2023), arXiv:2312.00752; transformers' modeling_mamba.py (the tensor names the folder holds).
using System.Globalization;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tests.Models;

namespace TrajectoryLab.Torch.Tests.Golden;

public sealed class MambaGoldenOutputTests
{
    static string Folder => Path.Combine(AppContext.BaseDirectory, "Golden", "mamba");

    static readonly int[] Prompt = [1, 7, 19, 3, 30];

    /// <summary>Greedy continuation of <see cref="Prompt"/> and Σ|logits| over the prefill, computed from the folder.</summary>
    static (int[] Tokens, double LogitSum) Compute(string folder)
    {
        using var lm = LanguageModel.Load(folder);
        using var session = lm.StartSession(new GenerationOptions
        {
            MaxNewTokens = 16, Sampler = SamplerOptions.Greedy, Outputs = StepOutputs.Logits,
        });
        var step = session.Prefill([Prompt]);
        var sum = step.Logits![0].Sum(v => Math.Abs((double)v));
        for (int t = 1; t < 16; t++) step = session.Step();
        return (session.Tokens(0)[Prompt.Length..], sum);
    }

    [Fact]
    public void GreedyTokensAndLogitsOfTheCommittedCheckpointAreUnchanged()
    {
        var expected = File.ReadAllLines(Path.Combine(Folder, "expected.txt"));
        var (tokens, logitSum) = Compute(Folder);
        Assert.Equal(expected[0], string.Join(" ", tokens));
        var expectedSum = double.Parse(expected[1], CultureInfo.InvariantCulture);
        Assert.True(Math.Abs(logitSum - expectedSum) <= 1e-4 * expectedSum, $"Σ|logits| {logitSum:R} vs {expectedSum:R}");
    }

    /// <summary>Writes the golden folder into the source tree: a generator, not a check, so it is skipped.</summary>
    [Fact(Skip = "generator: writes Golden/mamba/; remove this Skip and run it only to regenerate the golden files")]
    public void WriteGoldenFiles()
    {
        var target = Path.Combine(SourceDirectory(), "mamba");
        using (var model = TinyMambas.Create("mamba-tied", seed: 11)) HfModelFolder.Save(model, target);
        var (tokens, logitSum) = Compute(target);
        File.WriteAllLines(Path.Combine(target, "expected.txt"),
            [string.Join(" ", tokens), logitSum.ToString("R", CultureInfo.InvariantCulture)]);
    }

    static string SourceDirectory([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;
}

// Golden outputs of the Gemma family: one tiny random checkpoint per model_type, written once and committed
// (Golden/gemma: MQA, head_dim ≠ d_model / heads, tied head; Golden/gemma2: sliding layers 0 and 2 of window 4, soft-caps,
// query_pre_attn_scalar; Golden/gemma3_text: q/k norms, every 3rd layer global, local and linearly scaled global rotary
// bases), whose greedy tokens (21 positions: the windows slide) and Σ|logits| of the prefill and of the last step (its
// sliding layers read only the last keys of the cache) must not change. A change means the model
// now computes something else: a bug, or a deliberate change that must regenerate the files (remove the Skip of
// WriteGoldenFiles, run it once, review the diff, commit).
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Models;
using TrajectoryLab.Torch.Tests.Reference;

namespace TrajectoryLab.Torch.Tests.Golden;

public sealed class GemmaGoldenTests
{
    /// <summary>The committed folder of each model_type and the tiny config it was generated from.</summary>
    private static readonly Dictionary<string, string> Sources = new()
    {
        ["gemma"] = "gemma-mqa-tied",
        ["gemma2"] = "gemma2-default-layers",
        ["gemma3_text"] = "gemma3-pattern-linear",
    };

    public static TheoryData<string> Folders => new(Sources.Keys);

    private static readonly int[] Prompt = [2, 7, 19, 3, 42];

    [Theory]
    [MemberData(nameof(Folders))]
    public void GreedyTokensAndLogitsOfTheCommittedCheckpointAreUnchanged(string modelType) =>
        GoldenCheckpoint.AssertUnchanged(modelType, Prompt);

    [Theory]
    [MemberData(nameof(Folders))]
    public void TheCommittedCheckpointComputesWhatTheReferenceComputes(string modelType)
    {
        var folder = GoldenCheckpoint.Folder(modelType);
        var reference = new ReferenceGemma(
            Path.Combine(folder, HfConfigReader.FileName),
            TinyGpt2s.ReadAll(Path.Combine(folder, SafetensorsCheckpoint.SingleFileName))
        );
        using var model = HfModelFolder.Load(folder);
        var expected = reference.Forward(Prompt).SelectMany(r => r).ToArray();
        Assert.True(TinyLlamas.RelativeError(TinyLlamas.Logits(model, [Prompt]), expected) < 1e-4);
    }

    /// <summary>Writes the golden folders into the source tree: a generator, not a check, so it is skipped.</summary>
    [Fact(Skip = "generator: writes Golden/gemma*/; remove this Skip and run it only to regenerate the golden files")]
    public void WriteGoldenFiles()
    {
        foreach (var (modelType, config) in Sources)
        {
            using var model = TinyGemmas.Create(config, seed: 11);
            GoldenCheckpoint.Write(model, Path.Combine(GoldenCheckpoint.SourceDirectory(), modelType), Prompt, withLastSum: true);
        }
    }
}

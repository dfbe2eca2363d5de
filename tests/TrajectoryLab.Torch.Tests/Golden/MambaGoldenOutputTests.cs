// Golden outputs of a tiny Mamba checkpoint written once and committed (Golden/mamba/: transformers' MambaConfig layout,
// tied head, no projection biases, convolution bias, d_state 4, d_conv 4): its greedy tokens and logits checksum must
// not change. A change here means the model now computes something else: a bug, or a deliberate change that must
// regenerate the files (remove the Skip of WriteGoldenFiles, run it once, review the diff, commit).
// Reference: Gu & Dao (2023), arXiv:2312.00752; transformers' modeling_mamba.py (the tensor names the folder holds).
using TrajectoryLab.Torch.Tests.Models;

namespace TrajectoryLab.Torch.Tests.Golden;

public sealed class MambaGoldenOutputTests
{
    static readonly int[] Prompt = [1, 7, 19, 3, 30];

    [Fact]
    public void GreedyTokensAndLogitsOfTheCommittedCheckpointAreUnchanged() => GoldenCheckpoint.AssertUnchanged("mamba", Prompt);

    /// <summary>Writes the golden folder into the source tree: a generator, not a check, so it is skipped.</summary>
    [Fact(Skip = "generator: writes Golden/mamba/; remove this Skip and run it only to regenerate the golden files")]
    public void WriteGoldenFiles()
    {
        using var model = TinyMambas.Create("mamba-tied", seed: 11);
        GoldenCheckpoint.Write(model, Path.Combine(GoldenCheckpoint.SourceDirectory(), "mamba"), Prompt);
    }
}

// Everything a generation session needs besides the model and prompts: samplers, random streams, outputs, captures
// and interventions.
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Sampling;

namespace TrajectoryLab.Torch.Generation;

/// <summary>What a step returns besides the chosen tokens.</summary>
[Flags]
public enum StepOutputs
{
    /// <summary>Tokens only.</summary>
    None = 0,

    /// <summary>Next-token logits, [batch][d_vocab].</summary>
    Logits = 1,

    /// <summary>Next-token log-probabilities (softmax at temperature 1), [batch][d_vocab].</summary>
    LogProbs = 2,
}

/// <summary>Options of a <see cref="GenerationSession"/>.</summary>
public sealed record GenerationOptions
{
    /// <summary>Tokens each row may generate (the prefill's one included); sizes the model state. Default 256.</summary>
    public int MaxNewTokens { get; init; } = 256;

    /// <summary>The sampler of every row unless <see cref="RowSamplers"/> is set. Default greedy.</summary>
    public SamplerOptions Sampler { get; init; } = SamplerOptions.Greedy;

    /// <summary>One sampler per row, or null to use <see cref="Sampler"/> for all.</summary>
    public IReadOnlyList<SamplerOptions>? RowSamplers { get; init; }

    /// <summary>Seed of every row's random stream. Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>The random stream of each row, or null for stream i on row i. Rows with the same stream id draw the same
    /// uniform at every step: give a perturbed copy its reference's id so the pair shares randomness.</summary>
    public IReadOnlyList<long>? StreamIds { get; init; }

    /// <summary>Logits and/or log-probabilities to copy out at each step. Default none.</summary>
    public StepOutputs Outputs { get; init; }

    /// <summary>Hook names whose activations each step copies out (only these, so memory stays bounded). Default none.</summary>
    public IReadOnlyList<string> Capture { get; init; } = [];

    /// <summary>Whether the prefill runs the final norm and the head at every prompt position, so that
    /// <c>ln_final.hook_normalized</c> and <c>hook_logits</c> can be captured or intervened on there. Default false: only
    /// at the last prompt position, whose logits choose the first new token (a 256-token prefill of a 32000-token vocabulary
    /// otherwise spends most of its arithmetic on logits nobody reads). Decoding steps have one position either way.</summary>
    public bool PromptLogits { get; init; }

    /// <summary>Interventions active from the prefill on (positions are each row's own, see
    /// <see cref="Intervention.Position"/>). Default none.</summary>
    public IReadOnlyList<Intervention> Interventions { get; init; } = [];

    /// <summary>The paths every block keeps during this session (skip connections, MLP), for path ablations; reset to the
    /// full block when the session ends. Default <see cref="BlockAblation.Full"/>, the unchanged model.</summary>
    public BlockAblation Ablation { get; init; } = BlockAblation.Full;
}

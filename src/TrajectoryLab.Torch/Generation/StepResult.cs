// What one generation step hands back, copied to CPU: the chosen tokens and, on request, next-token logits or
// log-probabilities and captured activations. In a left-padded session (docs/padding.md) positions are columns: row b's
// own position is the column minus its left padding.
namespace TrajectoryLab.Torch.Generation;

/// <summary>One generation step of a batch.</summary>
/// <param name="Step">Step index: 0 for the prefill, then 1, 2, ….</param>
/// <param name="Position">Absolute position of the last token the step's forward pass read; the chosen tokens go at
/// Position + 1. In a left-padded session this is the column, the position of the rows without padding: row b's own is
/// Position − <see cref="GenerationSession.LeftPad"/>(b).</param>
/// <param name="Tokens">The token appended to each row, [batch].</param>
/// <param name="Logits">Next-token logits at <paramref name="Position"/>, [batch][d_vocab], as the model produced them
/// (before the sampler), when <see cref="StepOutputs.Logits"/> was asked for; else null.</param>
/// <param name="LogProbs">ln softmax of those logits, [batch][d_vocab], when <see cref="StepOutputs.LogProbs"/> was asked
/// for; else null.</param>
/// <param name="Activations">Captured activations by hook name.</param>
public sealed record StepResult(
    int Step,
    int Position,
    int[] Tokens,
    float[][]? Logits,
    float[][]? LogProbs,
    IReadOnlyDictionary<string, Activation> Activations
);

/// <summary>One hook point's activation in one step's forward pass, per row, after any intervention.</summary>
/// <param name="Shape">Shape of each row's array: [pos, ...] for the pass's positions (pos = 1 after the prefill), e.g.
/// [pos, d_model] for the residual stream or [n_heads, pos, key_pos] for an attention pattern. In a left-padded session
/// both position axes count columns, like the batch's tokens: index i is row b's position i − <see
/// cref="GenerationSession.LeftPad"/>(b) (the last index is every row's last position). The prefill's entries at a row's
/// pad columns (i &lt; LeftPad(b) on the query axis) are 0, and its real queries give its pad keys exactly 0 attention.</param>
/// <param name="Rows">Row-major values, [batch][product of Shape].</param>
public sealed record Activation(int[] Shape, float[][] Rows);

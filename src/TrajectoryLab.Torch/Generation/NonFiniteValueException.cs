// The error a run raises when the model's own forward pass produces a NaN or an infinity on a trajectory it is
// measuring: with weights checked finite at load and every option bounded, that is an overflow of the arithmetic
// (float16's range ends at 65504) or a bug, and no metric downstream of it can be computed. The message names the
// step, the position, the batch row and the first hook point (in forward order) whose activation was non-finite.
using System.Globalization;

namespace TrajectoryLab.Torch.Generation;

/// <summary>A non-finite value appeared in a forward pass whose output a measurement needs.</summary>
public sealed class NonFiniteValueException : Exception
{
    /// <param name="quantity">What was non-finite, e.g. "logits".</param>
    /// <param name="step">The decoding step (0 = prefill) or teacher-forced step.</param>
    /// <param name="position">The position whose output was non-finite.</param>
    /// <param name="row">The batch row.</param>
    /// <param name="site">The first hook point with a non-finite activation in that row, or null if none was found
    /// (the value first appeared after the last hook point).</param>
    public NonFiniteValueException(string quantity, int step, long position, int row, string? site)
        : base(
            string.Create(CultureInfo.InvariantCulture, $"non-finite {quantity} at step {step} (position {position}), batch row {row}; ")
                + string.Create(
                    CultureInfo.InvariantCulture,
                    $"first non-finite activation: {site ?? "none at a hook point (it arose in the head)"}. "
                )
                + "The weights were checked finite at load, so the forward pass overflowed (float16 ends at 65504; try float32) "
                + "or an intervention put it there"
        )
    {
        Quantity = quantity;
        Step = step;
        Position = position;
        Row = row;
        Site = site;
    }

    /// <summary>What was non-finite.</summary>
    public string Quantity { get; }

    /// <summary>The step (0 = prefill).</summary>
    public int Step { get; }

    /// <summary>The position whose output was non-finite.</summary>
    public long Position { get; }

    /// <summary>The batch row.</summary>
    public int Row { get; }

    /// <summary>The first hook point whose activation was non-finite in <see cref="Row"/>, or null.</summary>
    public string? Site { get; }
}

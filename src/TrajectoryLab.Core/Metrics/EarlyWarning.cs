// Early warning of a loop: how many steps before the loop's onset the entropy fell, and stayed, below a threshold.
// Reference: docs/science.md "Repetition and degeneration" (entropy falling before onset is the early warning);
// Scheffer et al. (2009), "Early-warning signals for critical transitions", Nature 461:53.

namespace TrajectoryLab.Core.Metrics;

/// <summary>The warning found for one loop onset.</summary>
/// <param name="Warned">Whether the entropy at the onset is below the threshold.</param>
/// <param name="WarningStep">s, the first step from which H_t &lt; θ holds through the onset (−1 when not warned).</param>
/// <param name="LeadTime">onset − s in steps (−1 when not warned); 0 when the entropy only dropped at the onset.</param>
public readonly record struct EarlyWarningResult(bool Warned, int WarningStep, int LeadTime);

/// <summary>Lead time of an entropy early-warning signal before a loop onset.</summary>
public static class EarlyWarning
{
    /// <summary>The earliest s ≤ onset with H_t &lt; θ for every t in [s, onset], and the lead time onset − s.</summary>
    /// <param name="entropy">H_t per step.</param>
    /// <param name="onset">The loop onset step (e.g. <see cref="Cycle.Onset"/>), 0 ≤ onset &lt; length.</param>
    /// <param name="threshold">θ.</param>
    /// <remarks>A NaN entropy is not below the threshold, so it ends the warning window.</remarks>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="onset"/> is outside the series.</exception>
    public static EarlyWarningResult LeadTime(ReadOnlySpan<double> entropy, int onset, double threshold)
    {
        if ((uint)onset >= (uint)entropy.Length)
        {
            throw new ArgumentOutOfRangeException(nameof(onset), onset, $"Onset must be in [0, {entropy.Length}).");
        }

        var start = onset;
        while (start >= 0 && entropy[start] < threshold)
        {
            start--;
        }

        return start == onset ? new EarlyWarningResult(false, -1, -1) : new EarlyWarningResult(true, start + 1, onset - start - 1);
    }
}

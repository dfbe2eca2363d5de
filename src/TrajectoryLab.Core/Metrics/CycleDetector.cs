// Detects whether a token sequence ended in a loop (an attractor cycle of the generation map): its period
// and its onset, the first step from which the sequence is periodic to the end.
// Reference: docs/science.md "Repetition and degeneration"; Xu et al. (2022), "Learning to Break the Loop".

namespace TrajectoryLab.Core.Metrics;

/// <summary>The terminal cycle of a token sequence.</summary>
/// <param name="IsLoop">Whether the sequence ends in a cycle repeated at least the required number of times.</param>
/// <param name="Period">P, the cycle length (0 when not a loop).</param>
/// <param name="Onset">The first index from which x_t = x_{t+P} holds to the end (−1 when not a loop).</param>
/// <param name="Repeats">(L − onset) / P, possibly fractional (0 when not a loop).</param>
public readonly record struct Cycle(bool IsLoop, int Period, int Onset, double Repeats)
{
    /// <summary>No terminal cycle.</summary>
    public static Cycle None { get; } = new(false, 0, -1, 0);
}

/// <summary>Finds the terminal cycle of a token sequence.</summary>
public static class CycleDetector
{
    /// <summary>
    /// The period whose periodic suffix is longest (earliest onset), ties to the smallest period, among periods
    /// P ≤ <paramref name="maxPeriod"/> repeated at least <paramref name="minRepeats"/> times; <see cref="Cycle.None"/> otherwise.
    /// </summary>
    /// <param name="tokens">x_0 … x_{L−1}.</param>
    /// <param name="minRepeats">Required (L − onset) / P; default 3 (Holtzman et al.'s "repeated ≥ 3 times").</param>
    /// <param name="maxPeriod">Largest period tried; default L / minRepeats.</param>
    /// <remarks>
    /// For each P: onset_P = min{ s : x_t = x_{t+P} for all s ≤ t &lt; L − P }, found by scanning back from the end;
    /// O(L · maxPeriod). A multiple of the true period never has a longer suffix, so the choice is the fundamental
    /// period of the loop (a divisor of the block length when the block is itself periodic).
    /// </remarks>
    public static Cycle Detect(ReadOnlySpan<int> tokens, int minRepeats = 3, int? maxPeriod = null)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(minRepeats, 2);
        var length = tokens.Length;
        var best = Cycle.None;
        var longest = 0;
        for (var period = 1; period <= (maxPeriod ?? length / minRepeats) && period < length; period++)
        {
            var start = length - 1 - period;
            while (start >= 0 && tokens[start] == tokens[start + period])
            {
                start--;
            }

            var onset = start + 1;
            var suffix = length - onset;
            if (suffix >= minRepeats * period && suffix > longest)
            {
                longest = suffix;
                best = new Cycle(true, period, onset, (double)suffix / period);
            }
        }

        return best;
    }
}

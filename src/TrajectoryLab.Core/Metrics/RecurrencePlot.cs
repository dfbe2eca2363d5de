// Recurrence plot of a state sequence: R_ij = 1 when states i and j are closer than a threshold.
// Reference: Eckmann, Kamphorst, Ruelle (1987), Europhys. Lett. 4:973; Marwan et al. (2007), Phys. Rep. 438:237.

namespace TrajectoryLab.Core.Metrics;

/// <summary>The symmetric recurrence matrix R_ij = Θ(ε − ‖x_i − x_j‖₂) of a state sequence x_0 … x_{N−1}.</summary>
public sealed class RecurrencePlot
{
    private readonly bool[] _recurrent; // [N, N], row-major

    private RecurrencePlot(bool[] recurrent, int size, double threshold)
    {
        _recurrent = recurrent;
        Size = size;
        Threshold = threshold;
    }

    /// <summary>N, the number of states.</summary>
    public int Size { get; }

    /// <summary>ε, the distance threshold.</summary>
    public double Threshold { get; }

    /// <summary>Whether ‖x_i − x_j‖₂ ≤ ε.</summary>
    public bool this[int i, int j] => _recurrent[i * Size + j];

    /// <summary>Builds the plot with the Euclidean distance and threshold ε ≥ 0 (inclusive).</summary>
    /// <remarks>R_ij = 1 iff ‖x_i − x_j‖₂ ≤ ε (Marwan et al. 2007, eq. 3). A state with a NaN entry recurs with nothing, not even
    /// itself.</remarks>
    /// <exception cref="ArgumentException">States differ in dimension.</exception>
    public static RecurrencePlot Compute(IReadOnlyList<double[]> states, double threshold)
    {
        ArgumentNullException.ThrowIfNull(states);
        ArgumentOutOfRangeException.ThrowIfNegative(threshold);
        var n = states.Count;
        if (states.Any(s => s.Length != states[0].Length))
        {
            throw new ArgumentException("All states must have the same dimension.", nameof(states));
        }

        var recurrent = new bool[n * n];
        var squaredThreshold = threshold * threshold;
        for (var i = 0; i < n; i++)
        {
            for (var j = i; j < n; j++)
            {
                var distance = 0.0;
                for (var k = 0; k < states[i].Length; k++)
                {
                    var d = states[i][k] - states[j][k];
                    distance += d * d;
                }

                recurrent[i * n + j] = recurrent[j * n + i] = distance <= squaredThreshold;
            }
        }

        return new RecurrencePlot(recurrent, n, threshold);
    }
}

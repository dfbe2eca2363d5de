// Truncated sampling distributions: top-k (Fan et al. 2018), top-p / nucleus (Holtzman et al. 2019,
// "The Curious Case of Neural Text Degeneration"), min-p (Nguyen et al. 2024, "Turning Up the Heat").
// The kept tokens are renormalised; the entropy of the result is the entropy the sampler actually sees.

namespace TrajectoryLab.Core.Metrics;

/// <summary>Which truncation rule a <see cref="Truncation"/> applies.</summary>
public enum TruncationKind
{
    /// <summary>Keep the k most probable tokens.</summary>
    TopK,

    /// <summary>Keep the smallest set of most probable tokens whose mass reaches p.</summary>
    TopP,

    /// <summary>Keep tokens with p_k ≥ min_p · max_j p_j.</summary>
    MinP,
}

/// <summary>A truncation rule and its parameter; build one with <see cref="TopK"/>, <see cref="TopP"/> or <see cref="MinP"/>.</summary>
/// <param name="Kind">The rule.</param>
/// <param name="Value">k for top-k, p for top-p, min_p for min-p.</param>
/// <remarks>
/// With kept set S: p'_k = p_k / Σ_{j∈S} p_j for k ∈ S, else 0. Ties in probability are broken by the lower token id,
/// so top-k keeps exactly min(k, support) tokens.
/// </remarks>
public sealed record Truncation(TruncationKind Kind, double Value)
{
    /// <summary>Top-k truncation (Fan, Lewis, Dauphin 2018), k ≥ 1.</summary>
    public static Truncation TopK(int k)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(k);
        return new Truncation(TruncationKind.TopK, k);
    }

    /// <summary>Nucleus truncation (Holtzman et al. 2019), 0 &lt; p ≤ 1.</summary>
    public static Truncation TopP(double p)
    {
        if (!(p > 0 && p <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(p), p, "Top-p must be in (0, 1].");
        }

        return new Truncation(TruncationKind.TopP, p);
    }

    /// <summary>Min-p truncation (Nguyen et al. 2024), 0 ≤ min_p ≤ 1.</summary>
    public static Truncation MinP(double minP)
    {
        if (!(minP >= 0 && minP <= 1))
        {
            throw new ArgumentOutOfRangeException(nameof(minP), minP, "Min-p must be in [0, 1].");
        }

        return new Truncation(TruncationKind.MinP, minP);
    }

    /// <summary>
    /// Truncates and renormalises valid log-probabilities in place (dropped tokens become −∞) and returns
    /// ln Σ_{j∈S} p_j, the log of the kept mass (≤ 0).
    /// </summary>
    /// <param name="logProbs">ln p over the vocabulary, as written by <see cref="LogProbabilities"/>; not NaN.</param>
    public double Apply(Span<double> logProbs)
    {
        var order = new List<int>();
        for (var k = 0; k < logProbs.Length; k++)
        {
            if (!double.IsNegativeInfinity(logProbs[k]))
            {
                order.Add(k);
            }
        }

        var values = logProbs.ToArray();
        order.Sort((a, b) => values[a] != values[b] ? values[b].CompareTo(values[a]) : a.CompareTo(b));
        var keep = KeptCount(order, values);

        var logKept = LogSumExp(order.Take(keep).Select(k => values[k]));
        logProbs.Fill(double.NegativeInfinity);
        foreach (var k in order.Take(keep))
        {
            logProbs[k] = values[k] - logKept;
        }

        return logKept;
    }

    private int KeptCount(List<int> order, double[] logProbs) // order: support sorted by descending probability
    {
        switch (Kind)
        {
            case TruncationKind.TopK:
                return Math.Min((int)Value, order.Count);
            case TruncationKind.TopP:
                var mass = 0.0;
                for (var i = 0; i < order.Count; i++)
                {
                    mass += Math.Exp(logProbs[order[i]]);
                    if (mass >= Value)
                    {
                        return i + 1;
                    }
                }

                return order.Count; // rounding left the total just below p: keep everything
            default:
                var threshold = logProbs[order[0]] + Math.Log(Value);
                return order.Count(k => logProbs[k] >= threshold);
        }
    }

    private static double LogSumExp(IEnumerable<double> logValues)
    {
        var list = logValues.ToList();
        var max = list.Max();
        return max + Math.Log(list.Sum(v => Math.Exp(v - max)));
    }
}

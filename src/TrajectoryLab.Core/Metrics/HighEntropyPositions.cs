// Selection of high-entropy ("forking") positions: by a quantile threshold over the whole batch, or the
// top-K positions of each sequence. Reference: Wang et al. (2025), "Beyond the 80/20 Rule: High-Entropy
// Minority Tokens Drive Effective RL for LLM Reasoning" (batch threshold τ_ρ, H_t ≥ τ_ρ).

namespace TrajectoryLab.Core.Metrics;

/// <summary>High-entropy positions chosen by a batch quantile threshold.</summary>
/// <param name="Threshold">τ_ρ, the ρ-quantile of all non-NaN entropies in the batch.</param>
/// <param name="Positions">For each sequence, the ascending positions t with H_t ≥ τ_ρ.</param>
public sealed record HighEntropySelection(double Threshold, int[][] Positions);

/// <summary>Finds the positions of a batch of entropy series where entropy is high.</summary>
public static class HighEntropyPositions
{
    /// <summary>Positions with H_t ≥ τ_ρ, τ_ρ the batch ρ-quantile; NaN entries are never selected.</summary>
    /// <param name="entropies">One entropy series per sequence (lengths may differ).</param>
    /// <param name="rho">Quantile level ρ ∈ [0, 1], e.g. 0.8 keeps about the top 20 %.</param>
    /// <remarks>τ_ρ is the Hyndman–Fan type-7 quantile of the pooled values (<see cref="EntropyAggregates.Quantile"/>).</remarks>
    public static HighEntropySelection ByBatchQuantile(IReadOnlyList<double[]> entropies, double rho)
    {
        ArgumentNullException.ThrowIfNull(entropies);
        var threshold = EntropyAggregates.Quantile(entropies.SelectMany(e => e).ToArray(), rho);
        var positions = entropies.Select(e => Enumerable.Range(0, e.Length).Where(t => e[t] >= threshold).ToArray()).ToArray();
        return new HighEntropySelection(threshold, positions);
    }

    /// <summary>For each sequence, the ascending positions of its <paramref name="k"/> highest non-NaN entropies.</summary>
    /// <remarks>Ties are broken by the earlier position; a sequence with fewer than k valid entries yields all of them.</remarks>
    public static int[][] TopKPerSequence(IReadOnlyList<double[]> entropies, int k)
    {
        ArgumentNullException.ThrowIfNull(entropies);
        ArgumentOutOfRangeException.ThrowIfNegative(k);
        return entropies
            .Select(e =>
                Enumerable
                    .Range(0, e.Length)
                    .Where(t => !double.IsNaN(e[t]))
                    .OrderByDescending(t => e[t])
                    .ThenBy(t => t)
                    .Take(k)
                    .Order()
                    .ToArray()
            )
            .ToArray();
    }
}

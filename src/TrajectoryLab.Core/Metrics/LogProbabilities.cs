// Log-probabilities of a temperature-scaled, masked softmax by log-sum-exp: the one place logits
// become a distribution. Every entropy-family metric reads the ln p this file writes.
// Reference: log-sum-exp trick, e.g. Blanchard, Higham, Higham (2021), IMA J. Numer. Anal. 41:2311.

namespace TrajectoryLab.Core.Metrics;

/// <summary>Turns logits into log-probabilities over a masked vocabulary.</summary>
public static class LogProbabilities
{
    /// <summary>
    /// Writes ln p_k for p = softmax(β z) over the allowed tokens (−∞ elsewhere) and returns the breakdown
    /// (<see cref="MetricBreakdown.None"/> when valid); on breakdown <paramref name="logProbs"/> and
    /// <paramref name="logPartition"/> are NaN.
    /// </summary>
    /// <param name="logits">z, length |V|. −∞ entries are tokens of probability 0.</param>
    /// <param name="logProbs">Output ln p, length |V|.</param>
    /// <param name="temperature">T &gt; 0; β = 1/T.</param>
    /// <param name="mask">Allowed tokens; null allows all.</param>
    /// <param name="logPartition">ln Z = ln Σ_{k∈M} exp(β z_k).</param>
    /// <remarks>
    /// m = max_{k∈M} β z_k; ln Z = m + ln Σ_{k∈M} exp(β z_k − m); ln p_k = (β z_k − m) − ln Σ exp(β z_j − m).
    /// Subtracting m before exponentiating keeps logits of magnitude 1e4 finite; computing ln p_k from
    /// β z_k − m (not β z_k − ln Z) avoids cancelling two large numbers. A single allowed token gives ln p = 0.
    /// </remarks>
    /// <exception cref="ArgumentException">Length mismatch between logits, output and mask.</exception>
    /// <exception cref="ArgumentOutOfRangeException">Temperature not finite and positive.</exception>
    public static MetricBreakdown FromLogits(
        ReadOnlySpan<double> logits,
        Span<double> logProbs,
        double temperature,
        VocabularyMask? mask,
        out double logPartition
    )
    {
        if (logProbs.Length != logits.Length)
        {
            throw new ArgumentException($"Output length {logProbs.Length} differs from logits length {logits.Length}.", nameof(logProbs));
        }

        mask?.CheckSize(logits.Length, nameof(mask));
        if (!(temperature > 0) || double.IsPositiveInfinity(temperature))
        {
            throw new ArgumentOutOfRangeException(nameof(temperature), temperature, "Temperature must be finite and > 0.");
        }

        var beta = 1.0 / temperature;
        var max = double.NegativeInfinity;
        for (var k = 0; k < logits.Length; k++)
        {
            if (mask is not null && !mask.IsAllowed(k))
            {
                continue;
            }

            var z = logits[k];
            var breakdown =
                double.IsNaN(z) ? MetricBreakdown.NaNInput
                : double.IsPositiveInfinity(z) ? MetricBreakdown.PositiveInfinity
                : MetricBreakdown.None;
            if (breakdown != MetricBreakdown.None)
            {
                return Fail(logProbs, breakdown, out logPartition);
            }

            max = Math.Max(max, beta * z);
        }

        if (double.IsNegativeInfinity(max))
        {
            return Fail(logProbs, MetricBreakdown.EmptySupport, out logPartition);
        }

        var sum = 0.0;
        for (var k = 0; k < logits.Length; k++)
        {
            if (mask is null || mask.IsAllowed(k))
            {
                sum += Math.Exp(beta * logits[k] - max);
            }
        }

        var logSum = Math.Log(sum);
        for (var k = 0; k < logits.Length; k++)
        {
            logProbs[k] = mask is null || mask.IsAllowed(k) ? beta * logits[k] - max - logSum : double.NegativeInfinity;
        }

        logPartition = max + logSum;
        return MetricBreakdown.None;
    }

    private static MetricBreakdown Fail(Span<double> logProbs, MetricBreakdown breakdown, out double logPartition)
    {
        logProbs.Fill(double.NaN);
        logPartition = double.NaN;
        return breakdown;
    }
}

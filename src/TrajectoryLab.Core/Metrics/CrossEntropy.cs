// Cross-entropy between two next-token distributions and its split CE(q, p) = H(q) + KL(q‖p).
// Reference: Cover & Thomas, "Elements of Information Theory" (2006), §2.3.

namespace TrajectoryLab.Core.Metrics;

/// <summary>Cross-entropy CE(q, p) with its two parts, in one unit.</summary>
/// <param name="CrossEntropy">CE(q, p) = −Σ_k q_k ln p_k.</param>
/// <param name="Entropy">H(q) = −Σ_k q_k ln q_k.</param>
/// <param name="Kl">KL(q‖p) = Σ_k q_k (ln q_k − ln p_k) ≥ 0.</param>
/// <param name="Breakdown">Why the values are NaN (from q or p); <see cref="MetricBreakdown.None"/> when valid.</param>
/// <remarks>CE = H(q) + KL(q‖p). CE and KL are +∞ (a valid answer) when q puts mass where p has none.</remarks>
public readonly record struct CrossEntropySplit(double CrossEntropy, double Entropy, double Kl, MetricBreakdown Breakdown);

/// <summary>Cross-entropy and KL divergence between distributions given as logits.</summary>
public static class CrossEntropy
{
    /// <summary>CE(q, p), H(q) and KL(q‖p) in nats, with q = softmax(z_q / T) and p = softmax(z_p / T) under the same options.</summary>
    /// <remarks>See <see cref="CrossEntropySplit"/>. Terms with q_k = 0 contribute 0.</remarks>
    /// <exception cref="ArgumentException">The two logit vectors differ in length.</exception>
    public static CrossEntropySplit Compute(ReadOnlySpan<double> logitsQ, ReadOnlySpan<double> logitsP, EntropyOptions? options = null)
    {
        if (logitsQ.Length != logitsP.Length)
        {
            throw new ArgumentException($"q has {logitsQ.Length} logits but p has {logitsP.Length}.", nameof(logitsP));
        }

        options ??= EntropyOptions.Default;
        var (logQ, logP) = (new double[logitsQ.Length], new double[logitsP.Length]);
        var q = TokenEntropy.OfLogits(logitsQ, options, logQ);
        var p = TokenEntropy.OfLogits(logitsP, options, logP);
        var breakdown = q.Breakdown != MetricBreakdown.None ? q.Breakdown : p.Breakdown;
        if (breakdown != MetricBreakdown.None)
        {
            return new CrossEntropySplit(double.NaN, double.NaN, double.NaN, breakdown);
        }

        var (ce, kl) = (0.0, 0.0);
        for (var k = 0; k < logQ.Length; k++)
        {
            if (!double.IsNegativeInfinity(logQ[k]))
            {
                var qk = Math.Exp(logQ[k]);
                ce -= qk * logP[k];
                kl += qk * (logQ[k] - logP[k]);
            }
        }

        return new CrossEntropySplit(ce, q.Entropy, kl, MetricBreakdown.None);
    }

    /// <summary>CE, H(q) and KL(q‖p) at every position of two batches of the same shape, in <c>options.Unit</c>.</summary>
    /// <exception cref="ArgumentException">The batches differ in shape.</exception>
    public static CrossEntropySplit[] Compute(LogitsBatch q, LogitsBatch p, EntropyOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(q);
        ArgumentNullException.ThrowIfNull(p);
        if (q.Positions != p.Positions || q.VocabularySize != p.VocabularySize)
        {
            throw new ArgumentException(
                $"q is [{q.Positions}, {q.VocabularySize}] but p is [{p.Positions}, {p.VocabularySize}].",
                nameof(p)
            );
        }

        options ??= EntropyOptions.Default;
        var result = new CrossEntropySplit[q.Positions];
        for (var t = 0; t < result.Length; t++)
        {
            var s = Compute(q.Row(t), p.Row(t), options);
            result[t] = s with
            {
                CrossEntropy = EntropyUnits.FromNats(s.CrossEntropy, options.Unit),
                Entropy = EntropyUnits.FromNats(s.Entropy, options.Unit),
                Kl = EntropyUnits.FromNats(s.Kl, options.Unit),
            };
        }

        return result;
    }
}

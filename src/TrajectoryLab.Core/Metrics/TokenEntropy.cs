// Next-token entropy family: entropy, varentropy, perplexity, KL to uniform, surprisal, for one logit
// vector or a batch of positions, with temperature, vocabulary mask and truncation.
// References: Shannon (1948); Cover & Thomas, "Elements of Information Theory" (2006), ch. 2;
// varentropy: Kontoyiannis & Verdú (2014), IEEE Trans. Inf. Theory 60:777.

namespace TrajectoryLab.Core.Metrics;

/// <summary>How a logit vector becomes the distribution being measured, and the unit of the batch results.</summary>
/// <param name="Temperature">T &gt; 0: p = softmax(z / T). Default 1.</param>
/// <param name="Mask">Allowed tokens (the rest removed and p renormalised); null allows all. Default null.</param>
/// <param name="Truncation">Top-k / top-p / min-p applied after temperature and mask; null for none. Default null.</param>
/// <param name="Unit">Unit of the batch results. Default nats.</param>
public sealed record EntropyOptions(
    double Temperature = 1.0,
    VocabularyMask? Mask = null,
    Truncation? Truncation = null,
    EntropyUnit Unit = EntropyUnit.Nats
)
{
    /// <summary>T = 1, no mask, no truncation, nats.</summary>
    public static EntropyOptions Default { get; } = new();
}

/// <summary>Statistics of one next-token distribution p, in nats.</summary>
/// <param name="Entropy">H = −Σ_k p_k ln p_k.</param>
/// <param name="Varentropy">V = Σ_k p_k (ln p_k + H)² = Var_p(−ln p).</param>
/// <param name="LogPartition">ln Z with Z = Σ_{k∈S} exp(z_k / T) over the support S after mask and truncation.</param>
/// <param name="MeanLogit">E_p[z].</param>
/// <param name="LogitVariance">Var_p(z).</param>
/// <param name="Support">Number of tokens with p_k &gt; 0.</param>
/// <param name="VocabularySize">|V_mask|: allowed tokens (all of |V| without a mask).</param>
/// <param name="Breakdown">Why the values are NaN; <see cref="MetricBreakdown.None"/> when valid.</param>
/// <remarks>
/// Identities (docs/science.md): 0 ≤ H ≤ ln|V_mask|; H = ln Z − E_p[z]/T; V = Var_p(z)/T²; PPL = exp(H);
/// KL(p‖U) = ln|V_mask| − H.
/// </remarks>
public readonly record struct TokenStatistics(
    double Entropy,
    double Varentropy,
    double LogPartition,
    double MeanLogit,
    double LogitVariance,
    int Support,
    int VocabularySize,
    MetricBreakdown Breakdown
)
{
    /// <summary>Perplexity PPL = exp(H) (unit-free).</summary>
    public double Perplexity => Math.Exp(Entropy);

    /// <summary>KL(p‖U) = Σ p_k ln(p_k |V_mask|) = ln|V_mask| − H, in nats.</summary>
    public double KlToUniform => Math.Log(VocabularySize) - Entropy;
}

/// <summary>Entropy-family results for a batch of positions, in <see cref="Unit"/>; one entry per position.</summary>
/// <param name="Entropy">H_t.</param>
/// <param name="Varentropy">V_t (unit squared).</param>
/// <param name="Perplexity">exp(H_t in nats), unit-free.</param>
/// <param name="KlToUniform">ln|V_mask| − H_t.</param>
/// <param name="Surprisal">−ln p_t(y_t) of the observed token; null when no tokens were given.</param>
/// <param name="Breakdown">Why row t is NaN; <see cref="MetricBreakdown.None"/> when valid.</param>
/// <param name="BadRows">Number of rows with a breakdown.</param>
/// <param name="Unit">Unit of the information quantities.</param>
public sealed record TokenEntropyBatch(
    double[] Entropy,
    double[] Varentropy,
    double[] Perplexity,
    double[] KlToUniform,
    double[]? Surprisal,
    MetricBreakdown[] Breakdown,
    int BadRows,
    EntropyUnit Unit
);

/// <summary>Entropy, varentropy, surprisal and friends of next-token distributions.</summary>
public static class TokenEntropy
{
    /// <summary>Shannon entropy of a distribution given as log-probabilities, in nats.</summary>
    /// <remarks>H = −Σ_{k: p_k&gt;0} p_k ln p_k (Shannon 1948). −∞ entries contribute 0 (0 ln 0 = 0).</remarks>
    public static double Entropy(ReadOnlySpan<double> logProbs) => Entropy<double>(logProbs);

    /// <summary><see cref="Entropy(ReadOnlySpan{double})"/> of float32 log-probabilities (a model's output row), each widened
    /// exactly and summed in double.</summary>
    public static double Entropy(ReadOnlySpan<float> logProbs) => Entropy<float>(logProbs);

    private static double Entropy<T>(ReadOnlySpan<T> logProbs)
        where T : System.Numerics.IFloatingPointIeee754<T>
    {
        var h = 0.0;
        foreach (var value in logProbs)
        {
            if (!T.IsNegativeInfinity(value))
            {
                var lp = double.CreateTruncating(value);
                h -= Math.Exp(lp) * lp;
            }
        }

        return h;
    }

    /// <summary>Surprisal of token <paramref name="token"/>, in nats: I = −ln p(token).</summary>
    /// <remarks>E_p[I] = H. +∞ for a token of probability 0.</remarks>
    public static double Surprisal(ReadOnlySpan<double> logProbs, int token) => -logProbs[token];

    /// <summary>Statistics of p = softmax(z / T) over the mask (then truncated), in nats.</summary>
    /// <remarks>See <see cref="TokenStatistics"/> for the formulas; ln p comes from <see cref="LogProbabilities.FromLogits"/>.</remarks>
    public static TokenStatistics OfLogits(ReadOnlySpan<double> logits, EntropyOptions? options = null) =>
        OfLogits(logits, options ?? EntropyOptions.Default, new double[logits.Length]);

    /// <summary>Statistics of a probability vector restricted to <paramref name="mask"/> and renormalised, in nats.</summary>
    /// <remarks>Same as <see cref="OfLogits(ReadOnlySpan{double}, EntropyOptions?)"/> with z = ln q, T = 1, so ln Z = ln Σ q.</remarks>
    public static TokenStatistics OfProbabilities(ReadOnlySpan<double> probabilities, VocabularyMask? mask = null)
    {
        var logQ = new double[probabilities.Length];
        for (var k = 0; k < logQ.Length; k++)
        {
            logQ[k] = Math.Log(probabilities[k]);
        }

        return OfLogits(logQ, new EntropyOptions(Mask: mask), new double[logQ.Length]);
    }

    /// <summary>
    /// Entropy-family metrics at every position of a batch, with the observed tokens' surprisal when
    /// <paramref name="observed"/> (one token id per position) is not empty. Bad rows are NaN and counted.
    /// </summary>
    /// <exception cref="ArgumentException"><paramref name="observed"/> is neither empty nor one id per position.</exception>
    public static TokenEntropyBatch Compute(LogitsBatch logits, EntropyOptions? options = null, ReadOnlySpan<int> observed = default)
    {
        ArgumentNullException.ThrowIfNull(logits);
        options ??= EntropyOptions.Default;
        if (!observed.IsEmpty && observed.Length != logits.Positions)
        {
            throw new ArgumentException(
                $"Expected {logits.Positions} observed tokens (one per position), got {observed.Length}.",
                nameof(observed)
            );
        }

        var n = logits.Positions;
        var (h, v, ppl, kl) = (new double[n], new double[n], new double[n], new double[n]);
        var surprisal = observed.IsEmpty ? null : new double[n];
        var breakdown = new MetricBreakdown[n];
        var logProbs = new double[logits.VocabularySize]; // [vocab], reused per row
        var unit = options.Unit;
        for (var t = 0; t < n; t++)
        {
            var s = OfLogits(logits.Row(t), options, logProbs);
            h[t] = EntropyUnits.FromNats(s.Entropy, unit);
            v[t] = EntropyUnits.FromNatsSquared(s.Varentropy, unit);
            ppl[t] = s.Perplexity;
            kl[t] = EntropyUnits.FromNats(s.KlToUniform, unit);
            breakdown[t] = s.Breakdown;
            if (surprisal is not null)
            {
                surprisal[t] = EntropyUnits.FromNats(Surprisal(logProbs, observed[t]), unit);
            }
        }

        return new TokenEntropyBatch(h, v, ppl, kl, surprisal, breakdown, breakdown.Count(b => b != MetricBreakdown.None), unit);
    }

    /// <summary>Core of the family: writes ln p into <paramref name="logProbs"/> and summarises it.</summary>
    internal static TokenStatistics OfLogits(ReadOnlySpan<double> logits, EntropyOptions options, Span<double> logProbs)
    {
        var vocabulary = options.Mask?.AllowedCount ?? logits.Length;
        var breakdown = LogProbabilities.FromLogits(logits, logProbs, options.Temperature, options.Mask, out var logZ);
        if (breakdown != MetricBreakdown.None)
        {
            return new TokenStatistics(double.NaN, double.NaN, double.NaN, double.NaN, double.NaN, 0, vocabulary, breakdown);
        }

        if (options.Truncation is not null)
        {
            logZ += options.Truncation.Apply(logProbs);
        }

        var h = Entropy(logProbs);
        var (meanZ, support) = (0.0, 0);
        for (var k = 0; k < logits.Length; k++)
        {
            if (!double.IsNegativeInfinity(logProbs[k]))
            {
                meanZ += Math.Exp(logProbs[k]) * logits[k];
                support++;
            }
        }

        var (varentropy, varZ) = (0.0, 0.0);
        for (var k = 0; k < logits.Length; k++)
        {
            if (!double.IsNegativeInfinity(logProbs[k]))
            {
                var p = Math.Exp(logProbs[k]);
                varentropy += p * (logProbs[k] + h) * (logProbs[k] + h);
                varZ += p * (logits[k] - meanZ) * (logits[k] - meanZ);
            }
        }

        return new TokenStatistics(h, varentropy, logZ, meanZ, varZ, support, vocabulary, MetricBreakdown.None);
    }
}

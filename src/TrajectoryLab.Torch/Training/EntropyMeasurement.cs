// The entropy monitor's numbers for one batch of next-token distributions, computed with the Core metrics from logits
// copied to the CPU: loss (mean surprisal), mean token entropy with P50/P90, the split loss = H + (I − H), perplexity,
// high-entropy positions by batch quantile (Wang et al. 2025), and the entropy at the first vs later positions.
using TrajectoryLab.Core.Metrics;

namespace TrajectoryLab.Torch.Training;

/// <summary>Entropy statistics of the model's predictions on one fixed batch, in nats.</summary>
/// <param name="Loss">Mean surprisal −ln p(y_t) of the observed next tokens: the cross-entropy loss.</param>
/// <param name="Perplexity">exp(Loss).</param>
/// <param name="MeanEntropy">Mean of H_t = −Σ p ln p over all positions.</param>
/// <param name="EntropyP50">Median of H_t.</param>
/// <param name="EntropyP90">90th percentile of H_t.</param>
/// <param name="Excess">Loss − MeanEntropy = mean (I_t − H_t).</param>
/// <param name="HighEntropyThreshold">τ_ρ, the batch ρ-quantile of H_t.</param>
/// <param name="HighEntropyFraction">Fraction of positions with H_t ≥ τ_ρ (about 1 − ρ; more with ties).</param>
/// <param name="HighEntropyLossShare">Share of the summed surprisal carried by those positions.</param>
/// <param name="FirstPositionEntropy">Mean H_t at t = 0 (the prediction from one token of context).</param>
/// <param name="LaterPositionEntropy">Mean H_t over t ≥ 1.</param>
/// <remarks>
/// The loss splits as CE = H̄ + (CE − H̄). Under the data distribution q the identity is CE(q, p) = H(q) + KL(q‖p)
/// (Cover &amp; Thomas §2.3); H(q) is unknown, so the model's own entropy stands in for it. For a calibrated model
/// E[I_t] = H_t (surprisal's mean under p is the entropy), so Excess → 0; Excess &gt; 0 means the model is more
/// confident than its accuracy warrants, Excess &lt; 0 less.
/// </remarks>
public sealed record EntropyMeasurement(
    double Loss,
    double Perplexity,
    double MeanEntropy,
    double EntropyP50,
    double EntropyP90,
    double Excess,
    double HighEntropyThreshold,
    double HighEntropyFraction,
    double HighEntropyLossShare,
    double FirstPositionEntropy,
    double LaterPositionEntropy
)
{
    /// <summary>Measures logits [batch, length, vocab] (row-major float32) against targets [batch, length].</summary>
    /// <param name="logits">Copied model output, batch · length · vocab floats.</param>
    /// <param name="targets">Observed next ids, batch · length.</param>
    /// <param name="batch">Sequences in the batch.</param>
    /// <param name="vocab">Vocabulary size.</param>
    /// <param name="rho">Quantile level ρ of the high-entropy threshold.</param>
    /// <param name="entropies">Receives H_t of every position, batch · length, row-major.</param>
    public static EntropyMeasurement Measure(
        ReadOnlySpan<float> logits,
        ReadOnlySpan<long> targets,
        int batch,
        int vocab,
        double rho,
        out double[] entropies
    )
    {
        var positions = targets.Length;
        if (logits.Length != positions * vocab || positions % batch != 0)
            throw new ArgumentException(
                $"logits of {logits.Length} values do not match {positions} targets × vocabulary {vocab} in {batch} sequences",
                nameof(logits)
            );
        var length = positions / batch;
        var observed = new int[positions];
        for (var i = 0; i < positions; i++)
            observed[i] = checked((int)targets[i]);
        var stats = TokenEntropy.Compute(LogitsBatch.FromFloats(logits, vocab), observed: observed);
        entropies = stats.Entropy;
        var surprisal = stats.Surprisal!; // [batch · length]
        var loss = surprisal.Average();
        var summary = EntropyAggregates.Summarize(entropies);
        // perSequence: [batch][length]
        var perSequence = Enumerable.Range(0, batch).Select(b => stats.Entropy.AsSpan(b * length, length).ToArray()).ToArray();
        var high = HighEntropyPositions.ByBatchQuantile(perSequence, rho);
        var (highCount, highLoss) = (0, 0.0);
        for (var b = 0; b < batch; b++)
            foreach (var t in high.Positions[b])
            {
                highCount++;
                highLoss += surprisal[b * length + t];
            }

        var first = perSequence.Average(e => e[0]);
        var later = length > 1 ? perSequence.SelectMany(e => e.Skip(1)).Average() : double.NaN;
        return new EntropyMeasurement(
            loss,
            Math.Exp(loss),
            summary.Mean,
            summary.P50,
            summary.P90,
            loss - summary.Mean,
            high.Threshold,
            (double)highCount / positions,
            highLoss / surprisal.Sum(),
            first,
            later
        );
    }
}

/// <summary>The monitor's record at one step: measurements on the fixed training and validation batches.</summary>
/// <param name="Step">Optimizer steps taken before the measurement (0 = the initial model).</param>
/// <param name="Train">On the fixed training batch.</param>
/// <param name="Validation">On the fixed validation batch.</param>
public sealed record MonitorPoint(int Step, EntropyMeasurement Train, EntropyMeasurement Validation);

/// <summary>One optimizer step.</summary>
/// <param name="Step">1-based step number.</param>
/// <param name="LearningRate">Learning rate used.</param>
/// <param name="Loss">Training-batch loss before the update.</param>
/// <param name="GradNorm">Global L2 norm of the gradient before clipping.</param>
public sealed record StepRecord(int Step, double LearningRate, double Loss, double GradNorm);

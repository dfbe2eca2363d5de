// The figures of a training run: loss and entropy over steps (training and validation), the per-token entropy
// distribution early vs late, validation perplexity against the n-gram baselines, and first vs later positions; drawn
// from the saved result.
using System.Globalization;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Torch.Training;

namespace TrajectoryLab.Experiments.Training;

/// <summary>Builds the figures from a run's history.</summary>
public static class TrainingFigures
{
    /// <summary>Every figure with its caption; <paramref name="rho"/> is the quantile level of the high-entropy threshold.</summary>
    public static IEnumerable<(Figure Figure, string Caption)> All(TrainResult result, double rho)
    {
        var monitor = result.Monitor;
        var x = monitor.Select(m => (double)m.Step).ToArray();
        double[] Of(Func<MonitorPoint, double> f) => monitor.Select(f).ToArray();
        var stepsAxis = new Axis("optimizer step");

        yield return (
            new Figure("loss", "Loss and entropy during training", stepsAxis, new Axis("nats per token"))
            {
                Series =
                [
                    new LineSeries(
                        "training-batch loss (each step)",
                        result.Steps.Select(s => (double)s.Step).ToArray(),
                        result.Steps.Select(s => s.Loss).ToArray()
                    )
                    {
                        Color = "#40808080",
                    },
                    new LineSeries("loss, train probe", x, Of(m => m.Train.Loss)) { Color = "#1f77b4", Markers = true },
                    new LineSeries("loss, validation probe", x, Of(m => m.Validation.Loss)) { Color = "#d62728", Markers = true },
                    new LineSeries("mean entropy, train probe", x, Of(m => m.Train.MeanEntropy)) { Color = "#1f77b4", Dashed = true },
                    new LineSeries("mean entropy, validation probe", x, Of(m => m.Validation.MeanEntropy))
                    {
                        Color = "#d62728",
                        Dashed = true,
                    },
                ],
            },
            "Loss (cross-entropy, solid) and the model's own mean next-token entropy (dashed). The gap loss − entropy is the excess "
                + "surprisal: positive when the model is more confident than it is right."
        );

        yield return (
            new Figure("entropy-quantiles", "Token entropy quantiles (validation probe)", stepsAxis, new Axis("H (nats)"))
            {
                Series =
                [
                    new LineSeries("mean", x, Of(m => m.Validation.MeanEntropy)) { Color = "#d62728" },
                    new LineSeries("P50", x, Of(m => m.Validation.EntropyP50)) { Color = "#2ca02c", Dashed = true },
                    new LineSeries("P90", x, Of(m => m.Validation.EntropyP90)) { Color = "#9467bd", Dashed = true },
                    new LineSeries(
                        string.Create(CultureInfo.InvariantCulture, $"τ_ρ (ρ = {rho})"),
                        x,
                        Of(m => m.Validation.HighEntropyThreshold)
                    )
                    {
                        Color = "#ff7f0e",
                    },
                ],
            },
            "Mean, median and 90th percentile of per-position entropy, and the batch-quantile threshold of high-entropy positions."
        );

        var snapshots = result.Snapshots.OrderBy(s => s.Step).ToList();
        var (lo, hi) = (0.0, snapshots.SelectMany(s => s.Entropies).Where(double.IsFinite).DefaultIfEmpty(1).Max());
        yield return (
            new Figure(
                "entropy-histogram",
                "Per-token entropy, early vs late (validation probe)",
                new Axis("H (nats)") { Min = lo, Max = hi },
                new Axis("positions")
            )
            {
                Series = snapshots
                    .Select(
                        (s, i) =>
                            (FigureSeries)
                                HistogramSeries.FromValues(
                                    string.Create(CultureInfo.InvariantCulture, $"step {s.Step}"),
                                    s.Entropies,
                                    40
                                ) with
                            {
                                Color = Palette[i % Palette.Length],
                            }
                    )
                    .ToArray(),
            },
            "Distribution of H_t over every position of the validation probe at initialisation, early (~10 % of the run) and at the end."
        );

        var (unigram, bigram) = (result.ProbeUnigramPerplexity, result.ProbeBigramPerplexity);
        yield return (
            new Figure(
                "validation-perplexity",
                "Validation perplexity vs n-gram baselines",
                stepsAxis,
                new Axis("perplexity") { Log = true }
            )
            {
                Series =
                [
                    new LineSeries("model (validation probe)", x, Of(m => m.Validation.Perplexity)) { Color = "#d62728", Markers = true },
                    new ReferenceLine(
                        string.Create(CultureInfo.InvariantCulture, $"unigram {unigram:F2}"),
                        ReferenceOrientation.Horizontal,
                        unigram
                    )
                    {
                        Color = "#7f7f7f",
                    },
                    new ReferenceLine(
                        string.Create(CultureInfo.InvariantCulture, $"bigram {bigram:F2}"),
                        ReferenceOrientation.Horizontal,
                        bigram
                    )
                    {
                        Color = "#2ca02c",
                    },
                ],
            },
            "Perplexity on the fixed validation batch; the baselines score the same targets."
        );

        yield return (
            new Figure("position-entropy", "Entropy at the first vs later positions", stepsAxis, new Axis("mean H (nats)"))
            {
                Series =
                [
                    new LineSeries("t = 0, validation", x, Of(m => m.Validation.FirstPositionEntropy)) { Color = "#d62728" },
                    new LineSeries("t ≥ 1, validation", x, Of(m => m.Validation.LaterPositionEntropy)) { Color = "#d62728", Dashed = true },
                    new LineSeries("t = 0, train", x, Of(m => m.Train.FirstPositionEntropy)) { Color = "#1f77b4" },
                    new LineSeries("t ≥ 1, train", x, Of(m => m.Train.LaterPositionEntropy)) { Color = "#1f77b4", Dashed = true },
                ],
            },
            "With one token of context (t = 0) the model stays uncertain; later positions gain from context as training proceeds."
        );
    }

    static readonly string[] Palette = ["#807f7f7f", "#80ff7f0e", "#801f77b4"];
}

// What the butterfly experiment reads off each perturbed copy of a free-running generation: its distance from the
// reference relative to ||h_0||, the first step its tokens differ, its normalised edit distance over time, and the local
// growth rates ln(d_{t+1}/d_t) while its tokens still agree with the reference's; plus the ensemble averages plotted.
// References: Lorenz (1963) (sensitive dependence); Aurell et al. (1997), J. Phys. A 30:1 (finite-size exponent);
// Levenshtein (1966) (edit distance, via TokenDivergence).
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Core.Statistics;

namespace TrajectoryLab.Experiments.Butterfly;

/// <summary>One perturbed copy of one free-running run.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Temperature">Decoding temperature (0 = greedy).</param>
/// <param name="Prompt">Prompt index.</param>
/// <param name="Epsilon">Relative perturbation size ε.</param>
/// <param name="Copy">Direction index for that ε.</param>
/// <param name="Relative">[Steps + 1] d_t / ||h_0,t|| at the observed site (t = 0 right after the perturbation); NaN/∞ kept
/// as measured.</param>
/// <param name="FirstDivergence">First generated step whose token differs from the reference's; null when none does.</param>
/// <param name="NormalisedEdit">[Steps] Levenshtein distance of the prefixes of length s + 1, divided by s + 1.</param>
/// <param name="ReferenceEntropy">[Steps] entropy (nats) of the reference's next-token distribution at step t.</param>
/// <param name="BreakdownStep">The step from which the copy's values are non-finite (its perturbation overflowed), or null.</param>
public sealed record CopyTrace(
    string Model,
    double Temperature,
    int Prompt,
    double Epsilon,
    int Copy,
    double[] Relative,
    int? FirstDivergence,
    double[] NormalisedEdit,
    double[] ReferenceEntropy,
    int? BreakdownStep = null
)
{
    /// <summary>True when every recorded distance is finite.</summary>
    public bool Finite => Relative.All(double.IsFinite);
}

/// <summary>One local growth rate before the tokens part.</summary>
/// <param name="Step">t: the growth from d_t to d_{t+1}, both rows having chosen the same token t.</param>
/// <param name="Entropy">The reference's next-token entropy at t (nats).</param>
/// <param name="Growth">ln(d_{t+1}/d_t) of the relative distance.</param>
public readonly record struct GrowthPoint(int Step, double Entropy, double Growth);

/// <summary>One (model, layer) cell of the layer sweep.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Layer">The perturbed residual site.</param>
/// <param name="Copies">Copies run, over all prompts.</param>
/// <param name="Diverged">Copies whose tokens parted from the reference's.</param>
/// <param name="MedianFirst">Upper median of the first differing step of those; NaN when none parted.</param>
/// <param name="MeanLogGrowth">Mean ln(d_end/d_0) per token over the copies with positive distances; NaN when none.</param>
public sealed record LayerCell(string Model, int Layer, int Copies, int Diverged, double MedianFirst, double MeanLogGrowth);

/// <summary>Per-copy measures and ensemble averages of the butterfly experiment.</summary>
public static class ButterflyMeasures
{
    /// <summary>The copies of one free-running run, with their relative distances and token divergence.</summary>
    /// <param name="run">The run, as measured.</param>
    public static IEnumerable<CopyTrace> Traces(FreeRun run) =>
        run.Copies.Select(c =>
        {
            var divergence = TokenDivergence.Compute<int>(run.ReferenceTokens, c.Tokens);
            var relative = c.Distance.Select((d, t) => d / run.ReferenceNorm[t]).ToArray(); // [Steps + 1]
            // Tokens chosen from non-finite logits are not the model's: a divergence counts only before the breakdown.
            var first = c.BreakdownStep is { } b && divergence.FirstDivergence >= b ? null : divergence.FirstDivergence;
            return new CopyTrace(
                run.Model,
                run.Temperature,
                run.Prompt,
                c.Epsilon,
                c.Copy,
                relative,
                first,
                divergence.NormalisedEditDistance,
                run.ReferenceEntropy,
                c.BreakdownStep
            );
        });

    /// <summary>The layer sweep's cells, one per model × swept layer in the order measured, each pooling its prompts'
    /// copies: how many ran, how many parted from the reference (and the upper median of their first differing step),
    /// and the mean of ln(d_end/d_0)/steps over the copies with positive end distances.</summary>
    /// <param name="runs">The sweep's runs, model × layer × prompt.</param>
    /// <param name="prompts">Prompts per (model, layer).</param>
    /// <param name="steps">Tokens generated per row.</param>
    public static IReadOnlyList<LayerCell> LayerCells(IReadOnlyList<LayerSweepRun> runs, int prompts, int steps) =>
        [
            .. runs.Chunk(prompts)
                .Select(cell =>
                {
                    var first = new List<double>();
                    var growth = new List<double>();
                    var total = 0;
                    foreach (var run in cell)
                    foreach (var copy in run.Copies)
                    {
                        total++;
                        if (TokenDivergence.FirstDivergence<int>(run.ReferenceTokens, copy.Tokens) is { } s)
                            first.Add(s);
                        if (copy.Distance[0] > 0 && copy.Distance[^1] > 0)
                            growth.Add(Math.Log(copy.Distance[^1] / copy.Distance[0]) / steps);
                    }
                    return new LayerCell(
                        cell[0].Model,
                        cell[0].Layer,
                        total,
                        first.Count,
                        Sample.Median(first.Select(s => (double)s)),
                        growth.Count == 0 ? double.NaN : growth.Average()
                    );
                }),
        ];

    /// <summary>Per step, the mean of log10 d_t/||h|| over the copies whose distance there is finite and positive, and how
    /// many those are.</summary>
    /// <param name="copies">Copies of equal length.</param>
    public static (double[] MeanLog10, int[] Count) LogCurve(IReadOnlyList<CopyTrace> copies)
    {
        var length = copies[0].Relative.Length;
        var mean = new double[length]; // [Steps + 1]
        var count = new int[length]; // [Steps + 1]
        for (var t = 0; t < length; t++)
        {
            var values = copies.Select(c => c.Relative[t]).Where(v => v > 0 && double.IsFinite(v)).Select(Math.Log10).ToArray();
            mean[t] = values.Length > 0 ? values.Average() : double.NaN;
            count[t] = values.Length;
        }
        return (mean, count);
    }

    /// <summary>Per step, the mean normalised edit distance of the copies.</summary>
    /// <param name="copies">Copies of equal length.</param>
    public static double[] MeanEdit(IReadOnlyList<CopyTrace> copies) =>
        [.. Enumerable.Range(0, copies[0].NormalisedEdit.Length).Select(s => copies.Average(c => c.NormalisedEdit[s]))];

    /// <summary>The growth rates of <paramref name="copy"/> at steps t before its first token divergence with finite,
    /// positive d_t and d_{t+1}.</summary>
    /// <param name="copy">The copy.</param>
    public static IEnumerable<GrowthPoint> Growth(CopyTrace copy)
    {
        var end = Math.Min(copy.FirstDivergence ?? int.MaxValue, copy.Relative.Length - 1);
        for (var t = 0; t < end; t++)
        {
            double a = copy.Relative[t],
                b = copy.Relative[t + 1];
            if (a > 0 && b > 0 && double.IsFinite(a) && double.IsFinite(b))
                yield return new GrowthPoint(t, copy.ReferenceEntropy[t], Math.Log(b / a));
        }
    }

    /// <summary>The FSLE thresholds: the configured ones, or δ_0 = 2 × the smallest initial distance and enough scales to
    /// reach the largest distance.</summary>
    /// <param name="settings">The configured thresholds (0 = automatic).</param>
    /// <param name="copies">Every copy of the run.</param>
    /// <returns>The options, or null when no copy has a finite positive distance (nothing to measure).</returns>
    public static FiniteSizeOptions? Thresholds(FsleSettings settings, IReadOnlyList<CopyTrace> copies)
    {
        var starts = copies.Select(c => c.Relative[0]).Where(v => v > 0 && double.IsFinite(v)).ToArray();
        var all = copies.SelectMany(c => c.Relative).Where(v => v > 0 && double.IsFinite(v)).ToArray();
        if (all.Length == 0)
            return null;
        var delta0 = settings.Delta0 > 0 ? settings.Delta0 : 2 * (starts.Length > 0 ? starts.Min() : all.Min());
        var count =
            settings.Count > 0
                ? settings.Count
                : Math.Clamp((int)Math.Ceiling(Math.Log(all.Max() / delta0) / Math.Log(settings.Ratio)), 1, 1000);
        return new FiniteSizeOptions(delta0, settings.Ratio, count);
    }
}

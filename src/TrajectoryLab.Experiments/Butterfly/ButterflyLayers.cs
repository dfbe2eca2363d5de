// The butterfly effect as a function of the perturbed layer: the same ε and temperature, the perturbation put at h after
// l blocks for each l of the sweep, and how often and how soon the copies' tokens part from the reference's. A
// perturbation of the top residual (l = n_layers) is read by the head only, so it can flip the token chosen at the
// perturbed position but never reaches a later one through the cache.
// References: Lorenz (1963); docs/dynamics.md.
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Sampling;
using static TrajectoryLab.Experiments.Shared.DynamicsText;

namespace TrajectoryLab.Experiments.Butterfly;

/// <summary>First divergence against the perturbed layer, for each model.</summary>
public static class ButterflyLayers
{
    /// <summary>One (model, layer) cell: copies run, copies whose tokens parted, median first divergence of those.</summary>
    private sealed record Cell(string Model, int Layer, int Copies, int Diverged, double MedianFirst, double MeanLogGrowth);

    /// <summary>Runs the sweep on every model and writes its table, figure and section.</summary>
    public static void Run(ButterflyOptions o, RunContext run, IReadOnlyList<MeasuredModel> models, int[][] prompts)
    {
        if (o.LayerSweep.Length == 0) return;
        var layers = models[0].Model.Spec.NumLayers;
        if (o.LayerSweep.Any(l => l < 0 || l > layers))
            throw new ArgumentException($"layerSweep: every layer must be in 0 … {layers}");
        var sampler = o.LayerSweepTemperature == 0 ? SamplerOptions.Greedy : new SamplerOptions { Temperature = o.LayerSweepTemperature };
        var cells = new List<Cell>();
        run.Phase("layer sweep", () =>
        {
            foreach (var m in models)
                foreach (var layer in o.LayerSweep)
                {
                    var first = new List<double>();
                    var growth = new List<double>();
                    var total = 0;
                    for (var p = 0; p < prompts.Length; p++)
                    {
                        run.Cancellation.ThrowIfCancellationRequested();
                        var result = FreeRunningDynamics.Run(m.Model, prompts[p], new FreeRunningOptions
                        {
                            Layer = layer, Epsilons = [o.LayerSweepEpsilon], CopiesPerEpsilon = o.CopiesPerEpsilon, Steps = o.Steps, Sampler = sampler, Seed = o.Seed + p,
                        });
                        foreach (var copy in result.Copies)
                        {
                            total++;
                            if (TokenDivergence.FirstDivergence<int>(result.ReferenceTokens, copy.Tokens) is { } s) first.Add(s);
                            if (copy.Distance[0] > 0 && copy.Distance[^1] > 0) growth.Add(Math.Log(copy.Distance[^1] / copy.Distance[0]) / o.Steps);
                        }
                    }
                    var sorted = first.Order().ToArray();
                    cells.Add(new Cell(m.Label, layer, total, first.Count, sorted.Length == 0 ? double.NaN : sorted[sorted.Length / 2],
                        growth.Count == 0 ? double.NaN : growth.Average()));
                }
        });

        run.Table("layer-sweep", ["model", "layer", "copies", "diverged", "median_first_divergence", "mean_log_growth_per_token"],
            cells.Select(c => new object[] { c.Model, c.Layer, c.Copies, c.Diverged, c.MedianFirst, c.MeanLogGrowth }));
        var report = run.Report;
        report.Section("Which layer is most sensitive", $"ε = {F(o.LayerSweepEpsilon)} at h_l of the last prompt position, {Temperature(o.LayerSweepTemperature)}, " +
            $"{F(o.CopiesPerEpsilon)} copies per prompt, {F(o.Steps)} tokens; the fraction of copies whose tokens part from the reference's, and the median first differing step of those. " +
            $"The top residual (l = {F(layers)}) is read by the head only: a copy perturbed there can part at the perturbed position's token and nowhere else through the cache. " +
            "If such copies part later all the same, that is the method's noise floor: rows of one batch agree to float32 rounding (about 6e-7·||h|| in the tests), not bit for bit, " +
            "because the matrix kernels are not batch-invariant, and sampling turns a near-tie into a different token.");
        var labels = models.Select(m => m.Label).ToArray();
        report.Figure(run.Figure(new Figure("layer-sweep", "Copies whose tokens part, by perturbed layer", new Axis("perturbed layer l (h after l blocks)"), new Axis("fraction of copies diverged") { Min = 0, Max = 1 })
        {
            Series = [.. labels.Select((m, i) => new LineSeries(m, [.. cells.Where(c => c.Model == m).Select(c => (double)c.Layer)],
                [.. cells.Where(c => c.Model == m).Select(c => c.Diverged / (double)c.Copies)]) { Markers = true, Color = Palette[i % Palette.Length] })],
        }));
        report.Add(new Preformatted(Table(["model", "layer", "diverged", "median first step", "mean ln(d_end/d_0) per token"],
            cells.Select(c => (IReadOnlyList<string>)[c.Model, F(c.Layer), $"{F(c.Diverged)}/{F(c.Copies)}", double.IsFinite(c.MedianFirst) ? F(c.MedianFirst) : "—", F(c.MeanLogGrowth, "F3")]))));
        foreach (var m in labels)
        {
            var most = cells.Where(c => c.Model == m).MaxBy(c => c.Diverged / (double)c.Copies)!;
            report.Paragraph($"{m}: most copies part when the perturbation is at layer {F(most.Layer)} ({F(most.Diverged)}/{F(most.Copies)}).");
        }
    }
}

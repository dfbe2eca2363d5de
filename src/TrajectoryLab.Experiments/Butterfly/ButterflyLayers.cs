// The butterfly effect as a function of the perturbed layer: the same ε and temperature, the perturbation put at h after
// l blocks for each l of the sweep, every copy's distances and tokens recorded; how often and how soon the copies' tokens
// part from the reference's is read off in ButterflyReport. A perturbation of the top residual (l = n_layers) is read by
// the head only, so it can flip the token chosen at the perturbed position but never reaches a later one through the cache.
// References: Lorenz (1963); docs/dynamics.md.
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Sampling;

namespace TrajectoryLab.Experiments.Butterfly;

/// <summary>The layer sweep's measurement: free-running copies perturbed at each swept layer, for each model.</summary>
public static class ButterflyLayers
{
    /// <summary>Runs the sweep on every model; empty when <see cref="ButterflyOptions.LayerSweep"/> is.</summary>
    /// <param name="o">The options (sweep layers, ε, temperature; copies, steps and seed shared with the main runs).</param>
    /// <param name="run">The measurement context.</param>
    /// <param name="models">The models, trained first.</param>
    /// <param name="prompts">The prompts' token ids.</param>
    /// <exception cref="ArgumentException">A swept layer lies outside 0 … n_layers.</exception>
    public static IReadOnlyList<LayerSweepRun> Measure(
        ButterflyOptions o,
        IMeasureContext run,
        IReadOnlyList<MeasuredModel> models,
        int[][] prompts
    )
    {
        if (o.LayerSweep.Length == 0)
            return [];
        var layers = models[0].Model.Spec.NumLayers;
        if (o.LayerSweep.Any(l => l < 0 || l > layers))
            throw new ArgumentException($"layerSweep: every layer must be in 0 … {layers}");
        var sampler = o.LayerSweepTemperature == 0 ? SamplerOptions.Greedy : new SamplerOptions { Temperature = o.LayerSweepTemperature };
        var runs = new List<LayerSweepRun>();
        run.Phase("layer sweep", () =>
        {
            foreach (var m in models)
            foreach (var layer in o.LayerSweep)
                for (var p = 0; p < prompts.Length; p++)
                {
                    run.Cancellation.ThrowIfCancellationRequested();
                    var result = FreeRunningDynamics.Run(
                        m.Model,
                        prompts[p],
                        new FreeRunningOptions
                        {
                            Layer = layer,
                            Epsilons = [o.LayerSweepEpsilon],
                            CopiesPerEpsilon = o.CopiesPerEpsilon,
                            Steps = o.Steps,
                            Sampler = sampler,
                            Seed = o.Seed + p,
                        }
                    );
                    runs.Add(new LayerSweepRun(m.Label, layer, p, result.ReferenceTokens, ButterflyExperiment.Copies(result)));
                }
        });
        return runs;
    }
}

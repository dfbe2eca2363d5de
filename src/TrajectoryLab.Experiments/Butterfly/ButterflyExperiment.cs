// butterfly: the butterfly effect of free-running generation. One perturbation of size ε (relative to ||h||) at the last
// prompt position, at a chosen residual site, then the reference and every perturbed copy generate on their own (greedy,
// or sampling with one shared random stream). The measurement records every row's distances and tokens, then the layer
// sweep (ButterflyLayers); ButterflyReport reads off how the hidden-state distance grows, when the tokens first part, the
// token edit distance over time, the finite-size Lyapunov exponent λ(δ), and whether the reference's entropy at a step
// predicts the local growth there; trained model against its random-init twin.
// References: Lorenz (1963), J. Atmos. Sci. 20:130 (sensitive dependence); Aurell et al. (1997), J. Phys. A 30:1 (FSLE);
// Benettin et al. (1980), Meccanica 15:9 (two-trajectory growth rates).
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Sampling;

namespace TrajectoryLab.Experiments.Butterfly;

/// <summary>Runs free-running perturbed copies for every model × temperature × prompt, and the layer sweep.</summary>
/// <param name="paths">The project paths (to find the model).</param>
public sealed class ButterflyExperiment(ProjectPaths paths) : Experiment<ButterflyOptions, ButterflyResult>
{
    /// <inheritdoc/>
    public override string Kind => "butterfly";

    /// <inheritdoc/>
    public override ButterflyResult Measure(ButterflyOptions o, IMeasureContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Measure returns
        var (models, tokenizer, folder) = loaded;
        var spec = models[0].Model.Spec;
        if (o.Layer > spec.NumLayers || o.ObservedLayer > spec.NumLayers)
            throw new InvalidOperationException(
                $"layer {o.Layer} / observedLayer {o.ObservedLayer} outside 0 … {spec.NumLayers} "
                    + $"(the model has {spec.NumLayers} blocks)"
            );
        var prompts = PromptSource.Of(o.Prompts, o.PromptIds, tokenizer);

        var runs = new List<FreeRun>();
        run.Phase("free-running", () =>
        {
            using var progress = run.Progress("free-running runs", (long)models.Count * o.Temperatures.Length * prompts.Length);
            foreach (var m in models)
            foreach (var t in o.Temperatures)
                for (var p = 0; p < prompts.Length; p++)
                {
                    run.Cancellation.ThrowIfCancellationRequested();
                    var result = FreeRunningDynamics.Run(
                        m.Model,
                        prompts[p],
                        new FreeRunningOptions
                        {
                            Layer = o.Layer,
                            ObservedLayer = o.ObservedLayer,
                            Epsilons = o.Epsilons,
                            CopiesPerEpsilon = o.CopiesPerEpsilon,
                            Steps = o.Steps,
                            Sampler = t == 0 ? SamplerOptions.Greedy : new SamplerOptions { Temperature = t },
                            Seed = o.Seed + p,
                        }
                    );
                    runs.Add(
                        new FreeRun(
                            m.Label,
                            t,
                            p,
                            result.ReferenceTokens,
                            [.. result.ReferenceTokens.Select(tokenizer.TokenText)],
                            result.ReferenceEntropy,
                            result.ReferenceNorm,
                            Copies(result)
                        )
                    );
                    progress.Advance();
                }
        });
        var sweep = ButterflyLayers.Measure(o, run, models, prompts);
        return new ButterflyResult(
            ModelFacts.Of(o.Model.Name, folder, models[0].Model),
            [.. models.Select(m => m.Label)],
            prompts.Length,
            runs,
            sweep
        );
    }

    /// <inheritdoc/>
    public override void Report(ButterflyOptions o, ButterflyResult result, RunContext run) => ButterflyReport.Render(o, result, run);

    /// <summary>The copies of a free-running run, as the result keeps them.</summary>
    /// <param name="result">The run.</param>
    internal static CopyRun[] Copies(FreeRunningResult result) =>
        [.. result.Copies.Select(c => new CopyRun(c.Epsilon, c.Copy, c.Distance, c.Tokens, c.BreakdownStep))];
}

// depth-dynamics: the residual stream as a map along depth, h_l(p) → h_{l+1}(p) at a fixed position p with the earlier
// positions held fixed. k tangent directions are carried through the layers and re-orthonormalised by QR at each one
// (Benettin's method over depth); ln R_ii is the layer's growth along the i-th direction and their mean over the layers
// the position's depth exponent. The measurement records every position's profile under the trained model and its
// random-init twin; DepthDynamicsReport renders the heat maps, layer means and the exponent against the entropy.
// References: Benettin et al. (1980), Meccanica 15:9; Lorenz (1963) (sensitivity as growth of small differences);
// Aurell et al. (1997), J. Phys. A 30:1; Dong, Cordonnier, Loukas (2021), arXiv:2103.03404 (rank collapse along depth).
using TrajectoryLab.Torch.Dynamics;

namespace TrajectoryLab.Experiments.Depth;

/// <summary>Measures the depth map's local growth rates at every position of the texts.</summary>
/// <param name="paths">The project paths (model and corpus).</param>
public sealed class DepthDynamicsExperiment(ProjectPaths paths) : Experiment<DepthDynamicsOptions, DepthDynamicsResult>
{
    /// <inheritdoc/>
    public override string Kind => "depth-dynamics";

    /// <inheritdoc/>
    public override DepthDynamicsResult Measure(DepthDynamicsOptions o, IMeasureContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Measure returns
        var (models, tokenizer, folder) = loaded;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        if (texts.Count == 0)
            throw new InvalidOperationException("no text of at least 2 tokens to read");
        var records = new List<DepthRecord>();
        run.Phase("depth", () =>
        {
            using var progress = run.Progress("positions", (long)models.Count * texts.Sum(t => t.Tokens.Length));
            foreach (var m in models)
                for (var i = 0; i < texts.Count; i++)
                {
                    run.Cancellation.ThrowIfCancellationRequested();
                    var profiles = DepthDynamics.Run(
                        m.Model,
                        texts[i].Tokens,
                        new DepthOptions
                        {
                            Directions = o.Directions,
                            Epsilon = o.Epsilon,
                            Seed = o.Seed,
                            Method = o.Method,
                        }
                    );
                    records.AddRange(profiles.Select(p => new DepthRecord(m.Label, i, texts[i].Tokens[p.Position], p)));
                    progress.Advance(texts[i].Tokens.Length);
                }
        });
        return new DepthDynamicsResult(
            ModelFacts.Of(o.Model.Name, folder, models[0].Model),
            [.. models.Select(m => m.Label)],
            [.. texts.Select(t => new DepthText(t.Name, t.Tokens, [.. t.Tokens.Select(tokenizer.TokenText)]))],
            records
        );
    }

    /// <inheritdoc/>
    public override void Report(DepthDynamicsOptions o, DepthDynamicsResult result, RunContext run) =>
        DepthDynamicsReport.Render(o, result, run);
}

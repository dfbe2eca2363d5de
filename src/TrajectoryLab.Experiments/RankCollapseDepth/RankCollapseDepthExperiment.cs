// rank-collapse-depth: random-init Llama-style decoders of growing depth L read random token sequences; at every residual
// site the token-uniformity residual, effective rank and mean pairwise cosine are measured, for Dong et al.'s four path
// variants (full block, pure attention, attention + skip, attention + MLP), for the post-norm layout and for the pre-norm
// block with residual branches scaled by 1/√L (Noci et al.). RankCollapseDepthReport fits the collapse rate and renders.
// References: Dong, Cordonnier & Loukas (2021), "Attention is not all you need: pure attention loses rank doubly
// exponentially with depth", ICML (arXiv:2103.03404); Noci et al. (2022), "Signal propagation in transformers: theoretical
// perspectives and the role of rank collapse", NeurIPS (arXiv:2206.03126); Roy & Vetterli (2007), EUSIPCO.
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Experiments.RankCollapse;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.RankCollapseDepth;

/// <summary>Builds the random models depth by depth and measures the residual stream at every site.</summary>
public sealed class RankCollapseDepthExperiment : Experiment<RankCollapseDepthOptions, RankCollapseDepthResult>
{
    /// <inheritdoc/>
    public override string Kind => "rank-collapse-depth";

    /// <summary>Name of the post-norm configuration.</summary>
    public const string PostNorm = "post-norm";

    /// <summary>Name of the 1/√L-scaled pre-norm configuration.</summary>
    public const string Scaled = "pre-norm, 1/√L";

    /// <summary>The configurations in report order: name, post-norm layout or not, the paths kept at depth L.</summary>
    public static readonly (string Name, bool PostNorm, Func<int, BlockAblation> Paths)[] Configurations =
    [
        .. RankCollapseExperiment.Variants.Select(v => (v.Name, false, (Func<int, BlockAblation>)(_ => v.Paths))),
        (PostNorm, true, _ => BlockAblation.Full),
        (Scaled, false, l => BlockAblation.Full.Scaled(1 / Math.Sqrt(l))),
    ];

    /// <inheritdoc/>
    public override RankCollapseDepthResult Measure(RankCollapseDepthOptions o, IMeasureContext run)
    {
        var depths = o.Depths.Order().ToArray();
        var seeds = Enumerable.Range(o.Seed, o.Seeds).ToArray();
        var readings = new List<DepthReading>();
        run.Phase("measure", () =>
        {
            using var progress = run.Progress("models", (long)depths.Length * seeds.Length * 2);
            foreach (var depth in depths)
            foreach (var seed in seeds)
            {
                var tokens = RandomTokens(o, seed); // [tokens]
                foreach (var postNorm in new[] { false, true })
                {
                    run.Cancellation.ThrowIfCancellationRequested();
                    using var model = LanguageModel.Random(Spec(o, depth, postNorm), seed, std: o.Std);
                    foreach (var (name, isPostNorm, paths) in Configurations.Where(c => c.PostNorm == postNorm))
                        readings.Add(new DepthReading(name, depth, seed, Prefill(model, tokens, paths(depth))));
                    progress.Advance();
                }
            }
        });
        return new RankCollapseDepthResult([.. Configurations.Select(c => c.Name)], depths, seeds, readings);
    }

    /// <inheritdoc/>
    public override void Report(RankCollapseDepthOptions o, RankCollapseDepthResult result, RunContext run) =>
        RankCollapseDepthReport.Render(o, result, run);

    /// <summary>The Llama spec of depth <paramref name="depth"/> (RMSNorm, SwiGLU, rotary, no biases, untied), pre-norm or
    /// post-norm (norms after the sublayers, ResidualLayout.PostNorm).</summary>
    /// <param name="o">The options (sizes).</param>
    /// <param name="depth">Blocks.</param>
    /// <param name="postNorm">Post-norm layout instead of pre-norm.</param>
    public static ModelSpec Spec(RankCollapseDepthOptions o, int depth, bool postNorm)
    {
        var spec = ModelSpec.Llama(o.Vocab, o.DModel, o.Mlp, depth, o.Heads, context: Math.Max(o.Tokens, 16));
        return postNorm ? spec with { Design = BlockDesign.Llama with { Residual = ResidualLayout.PostNorm } } : spec;
    }

    /// <summary>The token ids of seed <paramref name="seed"/>, uniform over the vocabulary.</summary>
    private static int[] RandomTokens(RankCollapseDepthOptions o, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, o.Tokens).Select(_ => random.Next(o.Vocab))];
    }

    /// <summary>One prefill with every residual site captured, measured site by site.</summary>
    private static SiteReading[] Prefill(LanguageModel model, int[] tokens, BlockAblation paths)
    {
        var sites = RankCollapseExperiment.Sites(model.Spec.NumLayers);
        using var session = model.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = 1,
                Capture = sites,
                Ablation = paths,
            }
        );
        var step = session.Prefill([tokens]);
        return
        [
            .. sites.Select(site =>
            {
                var rows = new List<double[]>();
                RankCollapseMeasures.Append(step.Activations[site], rows);
                return Measure(Matrix<double>.Build.DenseOfRowArrays(rows)); // [tokens × d_model]
            }),
        ];
    }

    /// <summary>The three measures of <paramref name="x"/> [tokens × d_model].</summary>
    public static SiteReading Measure(Matrix<double> x)
    {
        var rank = RankMeasures.Compute(x);
        var residual = TokenUniformity.Ratio(x);
        var cosine = TokenUniformity.MeanPairwiseCosine(x);
        var breakdown =
            residual.Breakdown != MetricBreakdown.None ? residual.Breakdown.ToString()
            : rank.Breakdown != MetricBreakdown.None ? rank.Breakdown.ToString()
            : cosine.Breakdown != MetricBreakdown.None ? cosine.Breakdown.ToString()
            : null;
        return new SiteReading(residual.Value, rank.EffectiveRank, cosine.Value, breakdown);
    }
}

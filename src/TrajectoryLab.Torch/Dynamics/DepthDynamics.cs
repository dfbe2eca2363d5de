// The depth map of a transformer: at a fixed position p, the residual stream passes through the blocks,
// h_{l+1}(p) = h_l(p) + attn_l(…) + mlp_l(…), with the earlier positions' keys and values held fixed (causality: they do
// not depend on h_l(p)). Its local growth rates are Benettin's over depth: k tangent directions start orthonormal at
// h_0(p); at every layer the tangents are mapped through J_l = ∂h_{l+1}/∂h_l, factored J_l V = Q R, and Q carries on.
// ln R_ii is the layer's growth along the i-th direction; their mean over layers is the position's depth exponent.
// Two ways to get J_l V, cross-checked in the tests:
//   finite differences — the k directions ride as batch rows through the KV-cached pass (h + ε·v, ε relative to ||h||),
//     re-orthonormalised inside the pass by a hook at every residual site; cache deviations are reset after each position;
//   the double-VJP trick — TorchSharp has no forward-mode AD, but J v = ∂/∂u ⟨Jᵀu, v⟩ needs only two reverse passes
//     (u is a dummy cotangent); exact to float32, over a cache-free pass of the prefix (cost grows with the position).
// A model whose residual branches are zero is the identity map: every rate is 0.
// References: Benettin et al. (1980), Meccanica 15:9; Townsend (2017), "A new trick for calculating Jacobian vector
// products" (the double-VJP trick); Dong, Cordonnier, Loukas (2021), arXiv:2103.03404 (rank collapse along depth).
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Dynamics;

/// <summary>How tangent vectors are mapped through a layer.</summary>
public enum TangentMethod
{
    /// <summary>Batched finite differences with a relative step ε.</summary>
    FiniteDifference,

    /// <summary>Exact Jacobian-vector products by two reverse-mode passes.</summary>
    DoubleVjp,
}

/// <summary>Options of a depth-dynamics run.</summary>
public sealed record DepthOptions
{
    /// <summary>Tangent directions k. Default 4.</summary>
    public int Directions { get; init; } = 4;

    /// <summary>Finite-difference step relative to ||h_l||. Default 1e-3.</summary>
    public double Epsilon { get; init; } = 1e-3;

    /// <summary>Seed of the random starting frames (one per position). Default 0.</summary>
    public long Seed { get; init; }

    /// <summary>How tangents are mapped. Default finite differences.</summary>
    public TangentMethod Method { get; init; } = TangentMethod.FiniteDifference;
}

/// <summary>The depth map's growth at one position.</summary>
/// <param name="Position">The position.</param>
/// <param name="LayerGrowth">[n_layers][k] ln R_ii of layer l's map h_l → h_{l+1}.</param>
/// <param name="Exponents">[k] mean of <paramref name="LayerGrowth"/> over the layers.</param>
/// <param name="Norm">[n_layers + 1] ||h_l|| of the reference.</param>
/// <param name="Entropy">Entropy (nats) of the next-token distribution at this position.</param>
public sealed record DepthProfile(int Position, double[][] LayerGrowth, double[] Exponents, double[] Norm, double Entropy);

/// <summary>Local growth rates of the depth map at every position of a text.</summary>
public static class DepthDynamics
{
    /// <summary>Profiles of positions 0 … tokens.Count − 1.</summary>
    /// <exception cref="ArgumentException">An empty text, ids outside the vocabulary, or options out of range.</exception>
    /// <exception cref="InvalidOperationException">The model is in use by another session or run.</exception>
    public static IReadOnlyList<DepthProfile> Run(LanguageModel model, IReadOnlyList<int> tokens, DepthOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        var spec = model.Spec;
        if (tokens.Count == 0 || tokens.Any(t => t < 0 || t >= spec.VocabSize))
            throw new ArgumentException($"the text must be nonempty with ids in [0, {spec.VocabSize})", nameof(tokens));
        if (options.Directions < 1 || options.Directions > spec.HiddenSize)
            throw new ArgumentException($"Directions must be in 1 … {spec.HiddenSize}", nameof(options));
        if (!(options.Epsilon > 0) || !double.IsFinite(options.Epsilon))
            throw new ArgumentException("Epsilon must be positive and finite", nameof(options));
        return options.Method == TangentMethod.FiniteDifference
            ? FiniteDifferences(model, tokens, options)
            : DoubleVjp(model, tokens, options);
    }

    private static List<DepthProfile> FiniteDifferences(LanguageModel model, IReadOnlyList<int> tokens, DepthOptions o)
    {
        var layers = model.Spec.NumLayers;
        var k = o.Directions;
        using var batch = new PerturbedBatch(model, k, tokens.Count, 0, 0);
        var size = new double[layers + 1]; // ε·||h_l|| of the current pass
        var norm = new double[layers + 1];
        var growth = new double[layers][];
        for (var site = 1; site <= layers; site++)
        {
            var l = site;
            batch.AddProbe(l, last =>
            {
                var h = Rows(last); // [1 + k][d]
                var qr = DeviationQr.Factor([.. Enumerable.Range(1, k).Select(i => Minus(h[i], h[0]))]);
                var below = l == 1 ? o.Epsilon * Norm(batch.PerturbedSiteHidden[0]) : size[l - 1];
                growth[l - 1] = [.. qr.Growth.Select(g => Math.Log(g / below))];
                norm[l] = Norm(h[0]);
                size[l] = o.Epsilon * norm[l];
                var frame = tensor(
                    qr.Q.SelectMany(q => q.Select(x => x * size[l])).ToArray(),
                    [k, h[0].Length],
                    ScalarType.Float64,
                    last.device
                ); // [k, d]
                last.narrow(0, 1, k).copy_(frame.add_(last[0].to_type(ScalarType.Float64), KeptScalars.One).to_type(last.dtype));
            });
        }

        var profiles = new List<DepthProfile>();
        for (var p = 0; p < tokens.Count; p++)
        {
            var frame = RandomFrame.Orthonormal(k, model.Spec.HiddenSize, o.Seed + p);
            batch.Perturb([.. frame.Select(v => v.Select(x => x * o.Epsilon).ToArray())], relative: true);
            batch.Feed([.. Enumerable.Repeat(new[] { (long)tokens[p] }, 1 + k)]);
            norm[0] = Norm(batch.PerturbedSiteHidden[0]);
            profiles.Add(Profile(p, growth, norm, batch.ReferenceEntropy));
            batch.Mix(new double[k, k]); // the next position starts from an unperturbed history
        }
        return profiles;
    }

    private static List<DepthProfile> DoubleVjp(LanguageModel model, IReadOnlyList<int> tokens, DepthOptions o)
    {
        var lm = model.Model;
        var layers = lm.Spec.NumLayers;
        var k = o.Directions;
        var owner = new object(); // holds the model while hooks and passes run
        model.Acquire(owner);
        try
        {
            // The reference: h_l at every position and layer, and the entropy at every position (one cache-free pass).
            Tensor[] residual; // [n_layers + 1] of [1, pos, d]
            double[] entropy;
            using (var noGrad = no_grad())
            {
                var captured = new Tensor?[1];
                var hook = lm.Hook(ResidualSite.HookName(0, layers))
                    .register_forward_hook(
                        (_, _, output) =>
                        {
                            captured[0] = output.detach().clone().DetachFromDisposeScope();
                            return output;
                        }
                    );
                try
                {
                    using var scope = NewDisposeScope();
                    var ids = tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Count], ScalarType.Int64, lm.Device); // [1, pos]
                    // logProbs: [pos, d_vocab]
                    var logProbs = lm.Forward(ids, null, 0, lastPositionOnly: false)[0].to_type(ScalarType.Float64).log_softmax(-1);
                    entropy = logProbs.exp().mul(logProbs).sum(-1).neg().cpu().data<double>().ToArray();
                }
                finally
                {
                    hook.remove();
                }
                residual = new Tensor[layers + 1];
                residual[0] = captured[0]!;
                for (var l = 0; l < layers; l++)
                {
                    using var scope = NewDisposeScope();
                    residual[l + 1] = lm.ResidualMap(residual[l], l, l + 1).MoveToOuterDisposeScope().DetachFromDisposeScope();
                }
            }
            try
            {
                var profiles = new List<DepthProfile>();
                for (var p = 0; p < tokens.Count; p++)
                {
                    var frame = RandomFrame.Orthonormal(k, lm.Spec.HiddenSize, o.Seed + p);
                    var growth = new double[layers][];
                    var norm = new double[layers + 1];
                    for (var l = 0; l <= layers; l++)
                    {
                        using var h = residual[l][0, p].to_type(ScalarType.Float64);
                        norm[l] = h.dot(h).sqrt().item<double>();
                    } // not norm()/square(): temporary Scalars (KeptScalars.cs)
                    for (var l = 0; l < layers; l++)
                    {
                        var mapped = Jvp(lm, residual[l], l, p, frame); // [k][d]
                        var qr = DeviationQr.Factor(mapped);
                        growth[l] = [.. qr.Growth.Select(g => Math.Log(g))];
                        frame = qr.Q;
                    }
                    profiles.Add(Profile(p, growth, norm, entropy[p]));
                }
                return profiles;
            }
            finally
            {
                foreach (var r in residual)
                    r.Dispose();
            }
        }
        finally
        {
            model.Release(owner);
        }
    }

    /// <summary>J_l v for each of <paramref name="vectors"/>, J_l = ∂h_{l+1}(p)/∂h_l(p) with earlier positions fixed, by the double-VJP
    /// trick.</summary>
    /// <param name="lm">The model.</param>
    /// <param name="h">[1, pos, d] the reference h_l.</param>
    /// <param name="layer">l.</param>
    /// <param name="position">p.</param>
    /// <param name="vectors">[k][d]</param>
    /// <returns>[k][d]</returns>
    internal static double[][] Jvp(Models.CausalLm lm, Tensor h, int layer, int position, double[][] vectors)
    {
        using var scope = NewDisposeScope();
        using var grad = enable_grad();
        var prefix = h.narrow(1, 0, position); // [1, p, d]
        var x = h.narrow(1, position, 1).detach().clone().requires_grad_(true); // [1, 1, d]
        var y = lm.ResidualMap(cat([prefix, x], 1), layer, layer + 1).narrow(1, position, 1); // [1, 1, d]
        var u = zeros_like(y).requires_grad_(true); // the dummy cotangent
        var jtu = autograd.grad([y], [x], [u], retain_graph: true, create_graph: true)[0]; // Jᵀu, linear in u
        var result = new double[vectors.Length][];
        for (var i = 0; i < vectors.Length; i++)
        {
            var v = tensor(vectors[i], [1, 1, vectors[i].Length], ScalarType.Float64, h.device).to_type(h.dtype); // [1, 1, d]
            var jv = autograd.grad([jtu], [u], [v], retain_graph: true, create_graph: false)[0]; // [1, 1, d]
            result[i] = jv.detach().to_type(ScalarType.Float64).cpu().data<double>().ToArray();
        }
        return result;
    }

    private static DepthProfile Profile(int position, double[][] growth, double[] norm, double entropy)
    {
        var k = growth[0].Length;
        var exponents = Enumerable.Range(0, k).Select(i => growth.Average(g => g[i])).ToArray();
        return new DepthProfile(position, [.. growth.Select(g => g.ToArray())], exponents, [.. norm], entropy);
    }

    private static double[][] Rows(Tensor last)
    {
        var t = last.detach().to_type(ScalarType.Float64).cpu().contiguous(); // [rows, d]
        int rows = (int)t.shape[0],
            d = (int)t.shape[1];
        var flat = t.data<double>().ToArray();
        return [.. Enumerable.Range(0, rows).Select(r => flat.AsSpan(r * d, d).ToArray())];
    }

    private static double[] Minus(double[] a, double[] b) => [.. a.Select((x, j) => x - b[j])];

    private static double Norm(double[] v) => Math.Sqrt(v.Sum(x => x * x));
}

// Chooses the next token of every row of a batch from its logits, each row with its own SamplerOptions, on the model's
// device and in float64. Order: repetition penalty (Keskar et al. 2019), temperature, top-k (Fan et al. 2018),
// top-p (Holtzman et al. 2019), min-p (Nguyen et al. 2024), then inverse-CDF sampling from the row's uniform.
using TorchSharp;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Sampling;

/// <summary>Per-row samplers of a batch, with each row's repetition context.</summary>
/// <remarks>
/// A token is drawn by inverse CDF in token-id order: the first k with F(k) = Σ_{j≤k} p_j &gt; u. Given u the choice is
/// deterministic, so rows with equal distributions and equal uniforms choose the same token, and rows whose
/// distributions differ slightly choose differently only when u falls between their CDFs (probability ≤ Σ_k |F₁(k) − F₂(k)|):
/// the id order, unlike a probability order, does not jump when two probabilities swap rank.
/// Call <see cref="Choose"/> and <see cref="Distribution"/> inside a dispose scope; the context mask outlives scopes
/// until <see cref="Dispose"/>.
/// </remarks>
internal sealed class TokenSampler : IDisposable
{
    private readonly SamplerOptions[] _rows;
    private readonly int _vocab;
    private readonly Device _device;
    private readonly int _candidates;
    private readonly Tensor? _seen; // [batch, d_vocab] bool: token is in the row's context; null without any penalty

    /// <param name="rows">One sampler per row.</param>
    /// <param name="vocab">d_vocab.</param>
    /// <param name="device">Where the logits live.</param>
    /// <param name="candidates">How many of the most probable tokens truncation looks at first, before 16 times as many
    /// and then the whole vocabulary (the result is the same either way).</param>
    public TokenSampler(IReadOnlyList<SamplerOptions> rows, int vocab, Device device, int candidates = 256)
    {
        foreach (var row in rows)
            if (row.FindProblem() is var (name, problem))
                throw new ArgumentException($"sampler {name} {problem}", nameof(rows));
        _rows = [.. rows];
        _vocab = vocab;
        _device = device;
        _candidates = Math.Min(candidates, vocab);
        if (_rows.Any(r => r.RepetitionPenalty != 1))
            _seen = zeros([_rows.Length, vocab], ScalarType.Bool, device).DetachFromDisposeScope();
    }

    /// <summary>Adds <paramref name="tokens"/> ([batch, n] int64) to each row's repetition context.</summary>
    public void Observe(Tensor tokens) => _seen?.scatter_(1, tokens, ones(tokens.shape, ScalarType.Bool, _device));

    /// <summary>Row b's repetition context becomes row sources[b]'s ([batch] int64 on the device).</summary>
    public void CopyRows(Tensor sources)
    {
        if (_seen is null)
            return;
        using var scope = NewDisposeScope();
        _seen.copy_(_seen.index_select(0, sources)); // [batch, d_vocab]
    }

    /// <summary>The next token of every row.</summary>
    /// <param name="logits">[batch, d_vocab] next-token logits, any float dtype.</param>
    /// <param name="uniforms">One draw in [0, 1) per row (unused by greedy rows).</param>
    /// <returns>[batch] int64 token ids.</returns>
    public Tensor Choose(Tensor logits, IReadOnlyList<double> uniforms)
    {
        var z = Penalised(logits); // [batch, d_vocab] float64
        var greedy = _rows.Select(r => r.IsGreedy).ToArray();
        if (greedy.All(g => g))
            return Kernels.RowArgmax.TryRows(z) ?? z.argmax(-1); // [batch]
        var u = tensor(uniforms.ToArray(), [_rows.Length, 1], ScalarType.Float64, _device); // [batch, 1]
        var sampled = InverseCdf(Truncated(z), u); // [batch]
        if (!greedy.Any(g => g))
            return sampled;
        return where(tensor(greedy, device: _device), z.argmax(-1), sampled);
    }

    /// <summary>The renormalised distribution each sampling row draws from (greedy rows: softmax at temperature 1).</summary>
    /// <param name="logits">[batch, d_vocab] next-token logits.</param>
    /// <returns>[batch, d_vocab] float64, rows summing to 1.</returns>
    public Tensor Distribution(Tensor logits) => Truncated(Penalised(logits));

    /// <summary>Step 1: CTRL repetition penalty on tokens in the row's context.</summary>
    /// <returns>[batch, d_vocab] float64 logits.</returns>
    private Tensor Penalised(Tensor logits)
    {
        var z = logits.to_type(ScalarType.Float64); // [batch, d_vocab]
        if (_seen is null)
            return z;
        var theta = Column(r => r.RepetitionPenalty); // [batch, 1]
        var penalised = where(z.gt(KeptScalars.Zero), z.div(theta), z.mul(theta)); // [batch, d_vocab]
        return where(_seen, penalised, z);
    }

    /// <summary>Steps 2–5: temperature, top-k, top-p, min-p, renormalisation.</summary>
    /// <param name="z">[batch, d_vocab] float64 penalised logits.</param>
    /// <returns>[batch, d_vocab] float64 probabilities, zero outside the kept set.</returns>
    private Tensor Truncated(Tensor z)
    {
        var probs = z.div(Column(r => r.IsGreedy ? 1 : r.Temperature)).softmax(-1); // [batch, d_vocab]
        if (_rows.All(r => r.TopK == 0 && r.TopP >= 1 && r.MinP == 0))
            return probs;

        var (keep, ids) = Kept(probs);
        var kept = zeros_like(probs, ScalarType.Bool).scatter_(-1, ids, keep); // [batch, d_vocab] in id order
        var truncated = probs.mul(kept); // [batch, d_vocab]
        return truncated.div_(truncated.sum(-1, keepdim: true));
    }

    /// <summary>Keep flags and token ids in rank order, [batch, m] each, for the smallest m tried that holds every row's kept
    /// set.</summary>
    /// <param name="probs">[batch, d_vocab] float64.</param>
    /// <remarks>Sorting the whole vocabulary costs several model steps at batch 32, while the kept set is usually a short
    /// prefix: rank the most probable m = candidates, then 16·candidates, … first, and sort everything last.</remarks>
    private (Tensor Keep, Tensor Ids) Kept(Tensor probs)
    {
        for (var m = _candidates; m < _vocab; m *= 16)
            if (_rows.All(r => r.TopK <= m) && KeptPrefix(probs, m) is { } kept)
                return kept;
        return KeptPrefix(probs, _vocab)!.Value;
    }

    /// <summary>The kept tokens among the <paramref name="m"/> most probable of each row, or null when m &lt; d_vocab and
    /// some row keeps its m-th candidate or a token as probable as it (a token outside the candidates might then belong).</summary>
    /// <param name="probs">[batch, d_vocab] float64.</param>
    /// <param name="m">Candidates per row, at least every row's top-k.</param>
    /// <returns>Keep flags and token ids in rank order, [batch, m] each; ties in probability are ranked by lower id.</returns>
    private (Tensor Keep, Tensor Ids)? KeptPrefix(Tensor probs, int m)
    {
        Tensor sorted,
            ids; // [batch, m] each
        if (m == _vocab)
            (sorted, ids) = probs.sort(-1, descending: true, stable: true);
        else
        {
            var (top, topIds) = probs.topk(m, -1); // [batch, m] each, tie order unspecified
            var (byId, idOrder) = topIds.sort(-1); // [batch, m] each
            (sorted, var rank) = top.gather(-1, idOrder).sort(-1, descending: true, stable: true);
            ids = byId.gather(-1, rank);
        }
        using var count = ((long)m).ToScalar(); // held through the calls: see KeptScalars.cs
        var position = arange(count, ScalarType.Int64, _device); // [m]
        var topK = tensor(_rows.Select(r => r.TopK == 0 ? (long)_vocab : r.TopK).ToArray(), [_rows.Length, 1], ScalarType.Int64, _device);
        var keep = position.lt(topK); // [batch, m]
        var cumulative = sorted.cumsum(-1); // [batch, m]
        var keptMass = where( // [batch, 1]: mass top-k keeps
            tensor(_rows.Select(r => r.TopK == 0).ToArray(), [_rows.Length, 1], device: _device),
            probs.sum(-1, keepdim: true),
            cumulative.gather(-1, topK.clamp_max(count).sub_(KeptScalars.One))
        );
        var topP = Column(r => r.TopP >= 1 ? double.PositiveInfinity : r.TopP);
        keep = keep.logical_and_(cumulative.sub(sorted).lt(topP.mul(keptMass))); // smallest prefix with mass ≥ p · kept mass
        keep = keep.logical_and_(sorted.ge(sorted.narrow(-1, 0, 1).mul(Column(r => r.MinP))));
        if (m == _vocab)
            return (keep, ids);

        var lastKept = sorted.gather(-1, keep.sum(-1, keepdim: true).sub_(KeptScalars.One)); // [batch, 1]: least probable kept token
        return sorted.narrow(-1, m - 1, 1).lt(lastKept).all().item<bool>() ? (keep, ids) : null;
    }

    /// <summary>The first token k with F(k) &gt; u·F(|V|−1) in id order, never one of probability 0.</summary>
    /// <param name="probs">[batch, d_vocab] float64, nonnegative.</param>
    /// <param name="u">[batch, 1] float64 in [0, 1).</param>
    /// <returns>[batch] int64.</returns>
    internal static Tensor InverseCdf(Tensor probs, Tensor u)
    {
        var cdf = probs.cumsum(-1); // [batch, d_vocab]
        var total = cdf.narrow(-1, -1, 1); // [batch, 1]
        // Counting k with F(k) ≤ u·total finds the first F(k) > u·total; also stopping at F(k) = total keeps a rounded
        // u·total = total from running past the last token of positive probability (F is flat after it).
        return cdf.le(u.mul(total)).logical_and_(cdf.lt(total)).sum(-1);
    }

    /// <summary>A [batch, 1] float64 column of one parameter per row.</summary>
    private Tensor Column(Func<SamplerOptions, double> parameter) =>
        tensor(_rows.Select(parameter).ToArray(), [_rows.Length, 1], ScalarType.Float64, _device);

    /// <summary>Frees the context mask.</summary>
    public void Dispose() => _seen?.Dispose();
}

// The engine of every language-model dynamics run: 1 + k copies of one trajectory decoded as one batch through one KV
// cache — row 0 the reference, rows 1…k perturbed — with a probe that adds deviations to h at one residual site and a
// probe that reads every row's h at another (or the same) site, both at the newest position. The state of the generation map is the cache
// (h_t reaches later
// positions only through its keys and values), so tangent vectors are the rows' cache deviations from row 0, and
// re-orthonormalisation or renormalisation re-combines those deviations linearly in every layer and position
// (ModelState.MixDeviations): Benettin's algorithm with the k tangents riding along as a batch, not k passes.
// References: Benettin et al. (1980), Meccanica 15:9; docs/dynamics.md.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace TrajectoryLab.Torch.Dynamics;

/// <summary>A reference trajectory and k perturbed copies in one batch.</summary>
internal sealed class PerturbedBatch : IDisposable
{
    private readonly LanguageModel _owner;
    private readonly CausalLm _model;
    private readonly ModelState _cache;
    private readonly SiteProbe _perturbProbe;
    private readonly SiteProbe[] _observeProbes;
    private double[][]? _pendingAdd; // [k][d_model] added to rows 1…k at the next pass's newest position
    private bool _pendingRelative; // scale _pendingAdd by ||h_0|| at that position
    private long _passLast; // position of the newest token of the pass under way
    private readonly List<SiteProbe> _extraProbes = [];

    /// <param name="owner">The model; held (no other session or run) until Dispose.</param>
    /// <param name="k">Perturbed copies (tangent directions).</param>
    /// <param name="capacity">Positions the cache holds.</param>
    /// <param name="perturbSite">Residual site <see cref="Perturb"/> adds to (<see cref="ResidualSite"/>).</param>
    /// <param name="observeSites">Residual sites <see cref="Hidden"/> reads, concatenated in this order.</param>
    /// <exception cref="ArgumentOutOfRangeException">k &lt; 1 or a site is not in the model.</exception>
    /// <exception cref="InvalidOperationException">The model is in use.</exception>
    public PerturbedBatch(LanguageModel owner, int k, long capacity, int perturbSite, params int[] observeSites)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(k, 1);
        _owner = owner;
        _model = owner.Model;
        var perturbHook = ResidualSite.HookName(perturbSite, _model.Spec.NumLayers);
        if (observeSites.Length == 0)
            throw new ArgumentException("observe at least one site", nameof(observeSites));
        var observeHooks = observeSites.Select(site => ResidualSite.HookName(site, _model.Spec.NumLayers)).ToArray();
        owner.Acquire(this);
        try
        {
            _perturbProbe = new SiteProbe(_model, perturbHook, AddPending);
            _observeProbes =
            [
                .. observeSites.Select((site, i) => site == perturbSite ? _perturbProbe : new SiteProbe(_model, observeHooks[i])),
            ];
            _cache = _model.NewState(1 + k, capacity);
        }
        catch
        {
            _perturbProbe?.Dispose();
            foreach (var probe in _observeProbes ?? [])
                if (probe != _perturbProbe)
                    probe?.Dispose();
            owner.Release(this);
            throw;
        }
        K = k;
    }

    /// <summary>Perturbed rows.</summary>
    public int K { get; }

    /// <summary>Positions read so far.</summary>
    public long Length { get; private set; }

    /// <summary>Width of the residual stream.</summary>
    public int ModelWidth => _model.Spec.HiddenSize;

    /// <summary>[1 + k][sites · d_model] h at the observed sites (concatenated) and the newest position, after the last <see
    /// cref="Feed"/>.</summary>
    public double[][] Hidden => _observeProbes.Length == 1 ? _observeProbes[0].Last : [.. Enumerable.Range(0, 1 + K).Select(Observed)];

    /// <summary>[sites · d_model] the reference's (row 0's) h at the observed sites, as in <see cref="Hidden"/>.</summary>
    public double[] ReferenceHidden => Observed(0);

    /// <summary>Row <paramref name="row"/>'s h at the observed sites, concatenated (the probe's own array for one site: not to
    /// be written).</summary>
    private double[] Observed(int row)
    {
        if (_observeProbes.Length == 1)
            return _observeProbes[0].Last[row];
        var h = new double[_observeProbes.Sum(p => p.Last[row].Length)];
        var at = 0;
        foreach (var probe in _observeProbes)
        {
            probe.Last[row].CopyTo(h, at);
            at += probe.Last[row].Length;
        }
        return h;
    }

    /// <summary>[1 + k][d_model] h at the perturbed site and the newest position (after the perturbation, if one landed).</summary>
    public double[][] PerturbedSiteHidden => _perturbProbe.Last;

    /// <summary>Entropy (nats) of the reference's (row 0's) next-token distribution (softmax of the logits) after the last <see
    /// cref="Feed"/>.</summary>
    public double ReferenceEntropy { get; private set; }

    /// <summary>The first position that received a perturbation (rows are identical before it), or null before any.</summary>
    public long? PerturbedFrom { get; private set; }

    /// <summary>Reads <paramref name="tokens"/> at positions Length … Length + count − 1 and, given
    /// <paramref name="choose"/>, picks each row's next token from the logits at the last of them.</summary>
    /// <param name="tokens">[1 + k][count] token ids.</param>
    /// <param name="choose">Maps [1 + k, d_vocab] logits to one token per row; null when the caller supplies the tokens.</param>
    /// <param name="everyRowsLogits">Without <paramref name="choose"/>, still compute the perturbed rows' logits, so that
    /// a breakdown there reaches <see cref="BrokenRows"/> (the last pass of a free-running copy); otherwise only the
    /// reference's are computed.</param>
    /// <returns>The chosen tokens, or null without <paramref name="choose"/>.</returns>
    public long[]? Feed(long[][] tokens, Func<Tensor, long[]>? choose = null, bool everyRowsLogits = false)
    {
        var rows = tokens.Length;
        var count = tokens[0].Length;
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var input = tensor(tokens.SelectMany(r => r).ToArray(), [rows, count], ScalarType.Int64, _model.Device); // [1 + k, count]
        _passLast = Length + count - 1;
        // Without a choice only the reference's logits are read (its entropy): the perturbed rows skip the head, whose
        // product is the largest of a small model's step (docs/performance.md, "The spectrum step on AVX2").
        long? headRows = choose is null && !everyRowsLogits ? 1 : null;
        var logits = _model.Forward(input, _cache, Length, lastPositionOnly: true, headRows).select(1, -1); // [1 or 1 + k, d_vocab]
        if (!logits.isfinite().all().item<bool>())
            CheckRows(logits, input);
        var logProbs = logits[0].to_type(ScalarType.Float64).log_softmax(-1); // [d_vocab]
        ReferenceEntropy = logProbs.exp().mul(logProbs).sum().neg().item<double>();
        if (_pendingAdd is not null)
            throw new InvalidOperationException("the perturbation did not land: its site is not on the path of this pass");
        Length += count;
        _feeds++;
        return choose?.Invoke(logits);
    }

    /// <summary>The position at which each perturbed row (1…k) first produced non-finite logits, for the rows that did: a
    /// breakdown of that copy (its perturbation overflowed the arithmetic), which the caller reports as such. Kept by the
    /// passes that compute the perturbed rows' logits (those that choose tokens, or are asked to); any other pass shows a
    /// perturbed row's breakdown in its observed h instead (<see cref="Deviations"/>, the QR).</summary>
    public IReadOnlyDictionary<int, long> BrokenRows => _broken;

    private readonly Dictionary<int, long> _broken = [];
    private int _feeds; // passes so far: the step number of the next one

    /// <summary>Sorts the rows whose logits are non-finite: the reference (row 0) is an error naming where its pass went
    /// non-finite; a perturbed row is a breakdown recorded in <see cref="BrokenRows"/>.</summary>
    /// <param name="logits">[1 + k, d_vocab]</param>
    /// <param name="input">[1 + k, count] the pass's tokens, to re-run it for the diagnosis.</param>
    private void CheckRows(Tensor logits, Tensor input)
    {
        var last = Length + input.shape[1] - 1;
        foreach (var row in NonFiniteLocator.NonFiniteRows(logits))
        {
            if (row == 0)
            {
                var start = Length;
                var site = NonFiniteLocator.FirstSite(_model, 0, () => _model.Forward(input, _cache, start, lastPositionOnly: true));
                throw new NonFiniteValueException("logits of the reference trajectory", _feeds, last, 0, site);
            }
            _broken.TryAdd(row, last);
        }
    }

    /// <summary>Adds <paramref name="deviations"/> to rows 1…k of h at the perturbed site, at the newest position of the next <see
    /// cref="Feed"/>.</summary>
    /// <param name="deviations">[k][d_model]</param>
    /// <param name="relative">Multiply them by ||h_0|| there (the reference's norm at that site and position).</param>
    public void Perturb(double[][] deviations, bool relative = false)
    {
        if (deviations.Length != K || deviations.Any(d => d.Length != ModelWidth))
            throw new ArgumentException($"expected {K} deviations of length {ModelWidth}", nameof(deviations));
        _pendingAdd = deviations;
        _pendingRelative = relative;
    }

    /// <summary>Hooks another residual site with an editing probe (the depth map edits every site).</summary>
    /// <param name="site">Residual site (<see cref="ResidualSite"/>).</param>
    /// <param name="edit">Receives [1 + k, d_model] at the newest position, editable in place.</param>
    /// <returns>The probe, whose <see cref="SiteProbe.Last"/> holds the site's h after each pass.</returns>
    public SiteProbe AddProbe(int site, Action<Tensor> edit)
    {
        var probe = new SiteProbe(_model, ResidualSite.HookName(site, _model.Spec.NumLayers), edit);
        _extraProbes.Add(probe);
        return probe;
    }

    /// <summary>[k][sites · d_model] h_i − h_0 at the observed sites and newest position.</summary>
    public double[][] Deviations()
    {
        var reference = Observed(0);
        var deviations = new double[K][];
        for (var i = 0; i < K; i++)
        {
            deviations[i] = new double[reference.Length];
            TensorPrimitives.Subtract(Observed(i + 1), reference, deviations[i]); // each difference rounded once, as x − h₀
        }
        return deviations;
    }

    /// <summary>Re-combines the rows' deviations in the whole cache: deviation_i ← Σ_j deviation_j · mix[j, i].</summary>
    /// <param name="mix">[k, k]</param>
    public void Mix(double[,] mix)
    {
        if (mix.GetLength(0) != K || mix.GetLength(1) != K)
            throw new ArgumentException($"mix must be {K}×{K}", nameof(mix));
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var flat = new double[K * K];
        for (var j = 0; j < K; j++)
        for (var i = 0; i < K; i++)
            flat[j * K + i] = mix[j, i];
        if (PerturbedFrom is not { } from)
            return; // no deviation anywhere yet
        _cache.MixDeviations(tensor(flat, [K, K], ScalarType.Float64, _model.Device).to_type(_model.DType), from, Length); // [k, k]
    }

    private void AddPending(Tensor last)
    {
        if (_pendingAdd is not { } add)
            return;
        _pendingAdd = null;
        PerturbedFrom ??= _passLast;
        var flat = add.SelectMany(r => r).ToArray();
        var deviations = tensor(flat, [K, ModelWidth], ScalarType.Float64, last.device); // [k, d_model]
        if (_pendingRelative)
        {
            var h = last[0].to_type(ScalarType.Float64); // [d_model]
            deviations = deviations.mul(h.dot(h).sqrt()); // not norm()/square(): they pass temporary Scalars (KeptScalars.cs)
        }
        last.narrow(0, 1, K).add_(deviations.to_type(last.dtype), KeptScalars.One);
    }

    /// <summary>Removes the probe, frees the cache and the model.</summary>
    public void Dispose()
    {
        _perturbProbe.Dispose();
        foreach (var probe in _observeProbes)
            if (probe != _perturbProbe)
                probe.Dispose();
        foreach (var probe in _extraProbes)
            probe.Dispose();
        _cache.Dispose();
        _owner.Release(this);
    }
}

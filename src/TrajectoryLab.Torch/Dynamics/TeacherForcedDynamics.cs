// Teacher-forced generation as a dynamical system: the tokens are fixed (a corpus text or a generated trajectory), the
// state is the model's KV cache (a Mamba's recurrent state: docs/dynamics.md), and one step reads the next token:
// cache_{t+1} = g(cache_t, x_{t+1}), observed through h_t, the residual streams above the perturbed site at the newest
// position (or one chosen site). A perturbation of h after
// `Layer` blocks at the last prompt position changes the keys and values of blocks Layer … n−1 there, which every later
// position reads; it cannot reach h at or below `Layer` at later positions (their inputs are cached from below), so the
// observed site must lie above the perturbed one, and a perturbation of the top residual (which no cache stores) reaches
// nothing: both show as a reported breakdown, not a crash. The map is smooth in the cache, so
// Benettin's algorithms apply as they do to the Hénon map: this class implements the same ITangentDynamics (k tangents,
// QR) and IPerturbedPair (two trajectories, renormalisation) that Core's MaximalExponent and LyapunovSpectrum measure.
// Tangents are finite differences carried as batch rows: row 0 is the reference, row i = reference + ε·(tangent i),
// with ε relative to ||h|| of the reference where the perturbation lands. Start re-orthonormalises once (not counted)
// so that the frame begins at size ε·||h_observed|| on orthonormal observed directions; re-orthonormalising re-combines
// the rows' deviations in the whole cache with R⁻¹ (QR of the observed deviations), so the frame keeps that size.
// References: Benettin et al. (1980), Meccanica 15:9; docs/dynamics.md.
using TrajectoryLab.Core.Dynamics;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Torch.Dynamics;

/// <summary>Options of a teacher-forced run.</summary>
public sealed record TeacherForcedOptions
{
    /// <summary>Residual site perturbed: h after this many blocks (0 … n_layers; <see cref="ResidualSite"/>). Default 0.</summary>
    public int Layer { get; init; }

    /// <summary>Residual site observed (distances and QR), above <see cref="Layer"/>; null for every site above it
    /// (Layer + 1 … n_layers, concatenated: the whole column of residual streams the step writes at the newest position,
    /// so that k tangents stay well conditioned in the observation). Default null.</summary>
    public int? ObservedLayer { get; init; }

    /// <summary>Tangent directions k (perturbed rows). Default 1.</summary>
    public int Directions { get; init; } = 1;

    /// <summary>Perturbation size relative to ||h|| of the reference at the perturbed site and position; the tangent frame
    /// is then kept at this size relative to ||h|| at the observed site. Default 1e-3 (float32
    /// models: below ~1e-5 the deviations drown in rounding, above ~1e-1 they leave the linear regime).</summary>
    public double Epsilon { get; init; } = 1e-3;

    /// <summary>Tokens read before the perturbation; it lands on the last of them. Default 1.</summary>
    public int PromptLength { get; init; } = 1;

    /// <summary>Seed of the random orthonormal starting directions. Default 0.</summary>
    public long Seed { get; init; }
}

/// <summary>A reference and k perturbed copies of one teacher-forced text, stepped one token at a time.</summary>
public sealed class TeacherForcedDynamics : ITangentDynamics, IPerturbedPair, IDisposable
{
    private readonly PerturbedBatch _batch;
    private readonly int[] _tokens;
    private readonly List<double> _entropy = [];
    private readonly List<double> _norm = [];

    private TeacherForcedDynamics(PerturbedBatch batch, int[] tokens, TeacherForcedOptions options)
    {
        _batch = batch;
        _tokens = tokens;
        Options = options;
    }

    /// <summary>Reads the prompt (the first PromptLength tokens) into 1 + k rows and perturbs rows 1…k at its last
    /// position along random orthonormal directions of size ε·||h||.</summary>
    /// <param name="model">The model (held until Dispose).</param>
    /// <param name="tokens">The whole fixed text: prompt, then the tokens the steps read.</param>
    /// <param name="options">Site, k, ε, prompt length and seed.</param>
    /// <exception cref="ArgumentException">Options out of range, k larger than the model width, or a text no longer than the
    /// prompt.</exception>
    /// <exception cref="InvalidOperationException">The model is in use by another session or run.</exception>
    public static TeacherForcedDynamics Start(LanguageModel model, IReadOnlyList<int> tokens, TeacherForcedOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        var width = model.Spec.HiddenSize;
        if (options.Directions < 1 || options.Directions > width)
            throw new ArgumentException($"Directions must be in 1 … {width} (the model width), is {options.Directions}", nameof(options));
        if (!(options.Epsilon > 0) || !double.IsFinite(options.Epsilon))
            throw new ArgumentException($"Epsilon must be positive and finite, is {options.Epsilon}", nameof(options));
        if (options.PromptLength < 1 || options.PromptLength >= tokens.Count)
            throw new ArgumentException(
                $"PromptLength must be in 1 … {tokens.Count - 1} (the text has {tokens.Count} tokens), is {options.PromptLength}",
                nameof(options)
            );
        if (tokens.Any(t => t < 0 || t >= model.Spec.VocabSize))
            throw new ArgumentException($"token ids must be in [0, {model.Spec.VocabSize})", nameof(tokens));

        var batch = new PerturbedBatch(
            model,
            options.Directions,
            tokens.Count,
            options.Layer,
            ObservedSites(model.Spec.NumLayers, options)
        );
        var run = new TeacherForcedDynamics(batch, [.. tokens], options);
        try
        {
            var directions = RandomFrame.Orthonormal(options.Directions, width, options.Seed);
            batch.Perturb([.. directions.Select(d => d.Select(x => x * options.Epsilon).ToArray())], relative: true);
            var prompt = tokens.Take(options.PromptLength).Select(t => (long)t).ToArray();
            batch.Feed([.. Enumerable.Repeat(prompt, 1 + options.Directions)]);
            run.PerturbationSize = options.Epsilon * Norm(batch.ReferenceHidden);
            run.Record();
            run.Reorthonormalise(); // the starting frame: orthonormal observed directions of size ε·||h_observed|| (not counted)
            return run;
        }
        catch
        {
            run.Dispose();
            throw;
        }
    }

    /// <summary>The residual sites a run observes (its deviations and QR): <see cref="TeacherForcedOptions.ObservedLayer"/>
    /// when set, else every site above the perturbed one, or the top residual itself when it is the one perturbed (which
    /// no cache stores: the run then reports a breakdown, as it must).</summary>
    /// <param name="layers">The model's blocks.</param>
    /// <param name="options">The run's options.</param>
    internal static int[] ObservedSites(int layers, TeacherForcedOptions options) =>
        options.ObservedLayer is { } site ? [site]
        : options.Layer >= layers ? [layers]
        : [.. Enumerable.Range(options.Layer + 1, layers - options.Layer)];

    /// <summary>The options it was started with.</summary>
    public TeacherForcedOptions Options { get; }

    /// <summary>ε·||h_observed|| of the reference at the perturbed position: the size the tangent frame is kept at.</summary>
    public double PerturbationSize { get; private set; }

    /// <summary>Position of the newest h (the last prompt position before any step).</summary>
    public long Position => _batch.Length - 1;

    /// <summary>Steps left before the text ends.</summary>
    public int StepsLeft => _tokens.Length - (int)_batch.Length;

    /// <summary>Entropy (nats) of the reference's next-token distribution at each position read so far, from the
    /// perturbed one on: entry s belongs to the position after s steps.</summary>
    public IReadOnlyList<double> ReferenceEntropy => _entropy;

    /// <summary>||h|| of the reference at the same positions.</summary>
    public IReadOnlyList<double> ReferenceNorm => _norm;

    /// <inheritdoc/>
    public int K => Options.Directions;

    /// <inheritdoc/>
    public double TimeStep => 1;

    /// <summary>Reads the next token of the text in every row.</summary>
    /// <exception cref="InvalidOperationException">The text has no tokens left.</exception>
    public void Step()
    {
        if (StepsLeft <= 0)
            throw new InvalidOperationException(
                $"the text has {_tokens.Length} tokens and all have been read; "
                    + $"ask for fewer steps (transient + steps ≤ {_tokens.Length - Options.PromptLength})"
            );
        var next = (long)_tokens[_batch.Length];
        _batch.Feed([.. Enumerable.Repeat(new[] { next }, 1 + K)]);
        Record();
    }

    /// <inheritdoc/>
    public double[] Reorthonormalise()
    {
        var (rDiagonal, rInverse) = DeviationQr.Triangle(_batch.Deviations());
        var growth = rDiagonal.Select(g => g / PerturbationSize).ToArray();
        if (rInverse is { } inverse)
        {
            var mix = new double[K, K];
            for (var j = 0; j < K; j++)
            for (var i = 0; i < K; i++)
                mix[j, i] = inverse[j, i] * PerturbationSize;
            _batch.Mix(mix);
        }
        return growth;
    }

    /// <summary>||h_1 − h_0||: the separation of the first perturbed row from the reference at the newest position.</summary>
    public double Distance() => Norm(_batch.Deviations()[0]);

    /// <summary>Scales every row's deviation (in the whole cache) by <paramref name="factor"/>.</summary>
    public void Rescale(double factor)
    {
        var mix = new double[K, K];
        for (var i = 0; i < K; i++)
            mix[i, i] = factor;
        _batch.Mix(mix);
    }

    private void Record()
    {
        _entropy.Add(_batch.ReferenceEntropy);
        _norm.Add(Norm(_batch.ReferenceHidden));
    }

    private static double Norm(double[] v) => Math.Sqrt(v.Sum(x => x * x));

    /// <summary>Frees the batch's cache and hooks and releases the model.</summary>
    public void Dispose() => _batch.Dispose();
}

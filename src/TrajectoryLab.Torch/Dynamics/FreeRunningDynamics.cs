// Free-running generation as a dynamical system: the reference and each perturbed copy choose their own tokens (greedy,
// or sampling with one shared random stream, so every row draws the same uniform at every step and rows differ only
// through their logits). One perturbation of h at the last prompt position, no renormalisation: the butterfly effect.
// Recorded per step: ||h_i − h_0|| at the observed site, each row's tokens (first divergence, edit distance) and the
// reference's next-token entropy. All rows ride in one batch; tokens are chosen by the same sampler code as
// GenerationSession (TokenSampler, RandomStreams).
// References: Lorenz (1963); Aurell et al. (1997), J. Phys. A 30:1 (finite-size growth); docs/dynamics.md.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Sampling;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Dynamics;

/// <summary>Options of a free-running run.</summary>
public sealed record FreeRunningOptions
{
    /// <summary>Residual site perturbed (<see cref="ResidualSite"/>). Default 0.</summary>
    public int Layer { get; init; }

    /// <summary>Residual site observed for distances; null for the top (n_layers). Default null.</summary>
    public int? ObservedLayer { get; init; }

    /// <summary>Perturbation sizes relative to ||h|| at the perturbed site. Default [1e-3].</summary>
    public IReadOnlyList<double> Epsilons { get; init; } = [1e-3];

    /// <summary>Random directions per ε (perturbed rows = |Epsilons| × this). Default 4.</summary>
    public int CopiesPerEpsilon { get; init; } = 4;

    /// <summary>Tokens every row generates after the prompt. Default 64.</summary>
    public int Steps { get; init; } = 64;

    /// <summary>The decoding strategy of every row. Default greedy.</summary>
    public SamplerOptions Sampler { get; init; } = SamplerOptions.Greedy;

    /// <summary>Seed of the directions and of the shared random stream. Default 0.</summary>
    public long Seed { get; init; }
}

/// <summary>One perturbed copy.</summary>
/// <param name="Epsilon">Its relative perturbation size.</param>
/// <param name="Copy">Which of the directions for that ε.</param>
/// <param name="Distance">[Steps + 1] ||h_i − h_0|| at the observed site: entry 0 at the last prompt position (right
/// after the perturbation), entry s at the position of the s-th generated token.</param>
/// <param name="Tokens">[Steps] its generated tokens.</param>
/// <param name="BreakdownStep">The first step (index into <paramref name="Distance"/>) at which the copy's logits or distance
/// were non-finite (its perturbation overflowed the arithmetic), or null: from there on its distances and tokens are not a
/// trajectory of the model and must not be read as divergence.</param>
public sealed record PerturbedCopy(double Epsilon, int Copy, double[] Distance, int[] Tokens, int? BreakdownStep = null);

/// <summary>Everything a free-running run recorded.</summary>
/// <param name="ReferenceTokens">[Steps] the reference's generated tokens.</param>
/// <param name="ReferenceEntropy">[Steps] entropy (nats) of the reference's distribution that chose each of them.</param>
/// <param name="ReferenceNorm">[Steps + 1] ||h_0|| at the observed site, aligned with <see cref="PerturbedCopy.Distance"/>.</param>
/// <param name="Copies">The perturbed copies, ε-major.</param>
public sealed record FreeRunningResult(
    int[] ReferenceTokens,
    double[] ReferenceEntropy,
    double[] ReferenceNorm,
    IReadOnlyList<PerturbedCopy> Copies
);

/// <summary>Runs a reference and its perturbed copies side by side.</summary>
public static class FreeRunningDynamics
{
    /// <summary>Reads <paramref name="prompt"/> in every row, perturbs the copies at its last position and lets all rows
    /// generate.</summary>
    /// <exception cref="ArgumentException">An empty prompt, ids outside the vocabulary, or options out of range.</exception>
    /// <exception cref="InvalidOperationException">The model is in use by another session or run.</exception>
    public static FreeRunningResult Run(LanguageModel model, IReadOnlyList<int> prompt, FreeRunningOptions options)
    {
        ArgumentNullException.ThrowIfNull(model);
        var spec = model.Spec;
        if (prompt.Count == 0 || prompt.Any(t => t < 0 || t >= spec.VocabSize))
            throw new ArgumentException($"the prompt must be nonempty with ids in [0, {spec.VocabSize})", nameof(prompt));
        if (options.Epsilons.Count == 0 || options.Epsilons.Any(e => !(e > 0) || !double.IsFinite(e)))
            throw new ArgumentException("Epsilons must be a nonempty list of positive finite sizes", nameof(options));
        if (options.CopiesPerEpsilon < 1 || options.CopiesPerEpsilon > spec.HiddenSize || options.Steps < 1)
            throw new ArgumentException($"CopiesPerEpsilon must be in 1 … {spec.HiddenSize} and Steps ≥ 1", nameof(options));

        var copies = options
            .Epsilons.SelectMany(e => Enumerable.Range(0, options.CopiesPerEpsilon).Select(c => (Epsilon: e, Copy: c)))
            .ToArray();
        var rows = 1 + copies.Length;
        using var batch = new PerturbedBatch(
            model,
            copies.Length,
            prompt.Count + options.Steps,
            options.Layer,
            options.ObservedLayer ?? spec.NumLayers
        );
        using var sampler = new TokenSampler([.. Enumerable.Repeat(options.Sampler, rows)], spec.VocabSize, model.Model.Device);
        var directions = RandomFrame.Orthonormal(options.CopiesPerEpsilon, spec.HiddenSize, options.Seed);
        batch.Perturb([.. copies.Select(c => directions[c.Copy].Select(x => x * c.Epsilon).ToArray())], relative: true);

        var streams = new long[rows]; // one shared stream: every row draws the same uniform at every step
        var tokens = new List<long[]>();
        var entropy = new List<double>();
        var distance = new List<double[]>();
        var norm = new List<double>();
        long[] Choose(Tensor logits, int step)
        {
            return sampler.Choose(logits, RandomStreams.Uniforms(options.Seed, streams, step)).cpu().data<long>().ToArray();
        }
        void Record()
        {
            var h = batch.Hidden;
            distance.Add([.. Enumerable.Range(1, copies.Length).Select(i => Distance(h[i], h[0]))]);
            norm.Add(Math.Sqrt(h[0].Sum(x => x * x)));
        }

        var input = Enumerable.Repeat(prompt.Select(t => (long)t).ToArray(), rows).ToArray(); // [rows][P]
        for (var step = 0; step < options.Steps; step++)
        {
            using (var scope = NewDisposeScope())
                sampler.Observe(tensor(input.SelectMany(r => r).ToArray(), [rows, input[0].Length], ScalarType.Int64, model.Model.Device));
            var chosen = batch.Feed(input, logits => Choose(logits, step))!;
            Record();
            entropy.Add(batch.ReferenceEntropy);
            tokens.Add(chosen);
            input = [.. chosen.Select(t => new[] { t })];
        }
        // The position of the last generated token: read it so that its distance is recorded too (and a copy whose
        // logits break down there is reported, as at every earlier position).
        batch.Feed(input, everyRowsLogits: true);
        Record();

        int? Breakdown(int i)
        {
            var d = distance.FindIndex(row => !double.IsFinite(row[i]));
            int? logits = batch.BrokenRows.TryGetValue(1 + i, out var position) ? (int)(position - (prompt.Count - 1)) : null;
            return d < 0 ? logits
                : logits is { } l ? Math.Min(l, d)
                : d;
        }
        return new FreeRunningResult(
            [.. tokens.Select(t => (int)t[0])],
            [.. entropy],
            [.. norm],
            [
                .. copies.Select(
                    (c, i) =>
                        new PerturbedCopy(
                            c.Epsilon,
                            c.Copy,
                            [.. distance.Select(d => d[i])],
                            [.. tokens.Select(t => (int)t[1 + i])],
                            Breakdown(i)
                        )
                ),
            ]
        );
    }

    private static double Distance(double[] a, double[] b)
    {
        var sum = 0.0;
        for (var j = 0; j < a.Length; j++)
            sum += (a[j] - b[j]) * (a[j] - b[j]);
        return Math.Sqrt(sum);
    }
}

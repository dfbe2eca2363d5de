// Lookahead decoding through the public generation API, for Braverman et al.'s calibration. Each trajectory (a held-out
// text, or a generation) is a group of k + 1 rows of one GenerationSession that share its context: in every pass row j < k
// reads the model's j-th most probable next token (a candidate) and row k the true token (teacher forcing) or a token drawn
// from p̂ restricted to the non-candidates; the pass gives every candidate's lookahead distribution p̂(· | x_<t, c_j) in one
// batched one-token step with the cache. The row whose token is kept is then copied into the others
// (GenerationSession.CopyRows: a gather of the column the pass wrote, or of a recurrent state) and each row is given its
// next candidate. One pass of (k + 1) rows per token, against k + 1 passes with a second session or a recomputation of
// the whole context per candidate.
// Why the extra row holds a draw from the non-candidates: p̂_α scales every non-candidate by the same factor, so given that
// the calibrated draw falls outside the candidates, the token is distributed as p̂ restricted to them — the draw made
// before the pass — and the kept token always has a row (no second pass).
// References: Braverman et al. (2020), "Calibration, Entropy Rates, and Memory in Language Models", ICML
// (arXiv:1906.05664), the lookahead entropy Ĥ and the calibrated model p̂_α.
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Sampling;

namespace TrajectoryLab.Experiments.EntropyRateDrift;

/// <summary>One generation: tokens and per-token surprisal and entropy, calibrated and of the model.</summary>
/// <param name="Tokens">[length] ids.</param>
/// <param name="Surprisal">[length] −ln q(x_t), q the distribution drawn from.</param>
/// <param name="Entropy">[length] H(q).</param>
/// <param name="ModelSurprisal">[length] −ln p̂(x_t).</param>
/// <param name="ModelEntropy">[length] H(p̂).</param>
public sealed record SampledTrajectory(int[] Tokens, double[] Surprisal, double[] Entropy, double[] ModelSurprisal, double[] ModelEntropy);

/// <summary>Teacher-forced lookahead over texts, lookahead-calibrated sampling, and plain ancestral sampling.</summary>
public static class LookaheadDecoding
{
    /// <summary>The lookahead positions of every text: for t = 1 … T − 1 the k candidates of p̂(· | x_&lt;t), their
    /// lookahead entropies and the true token x_t. With k = 0 only the true tokens (the plain cross-entropy).</summary>
    /// <param name="model">The model.</param>
    /// <param name="texts">Texts of equal length T ≥ 2, BOS first.</param>
    /// <param name="k">Candidates per position.</param>
    /// <param name="cancellation">Checked between passes.</param>
    /// <param name="advance">Called after each pass.</param>
    /// <returns>[texts][T − 1] positions.</returns>
    public static List<LookaheadPosition>[] TeacherForced(
        LanguageModel model,
        IReadOnlyList<int[]> texts,
        int k,
        CancellationToken cancellation,
        Action? advance = null
    )
    {
        var (groups, width, length) = (texts.Count, k + 1, texts[0].Length);
        if (texts.Any(t => t.Length != length) || length < 2)
            throw new ArgumentException("texts must share one length of at least 2 tokens", nameof(texts));
        var rows = groups * width;
        var positions = Enumerable.Range(0, groups).Select(_ => new List<LookaheadPosition>()).ToArray();
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = length, Outputs = StepOutputs.LogProbs });
        var step = session.Prefill([.. Enumerable.Range(0, rows).Select(r => new[] { texts[r / width][0] })], force: new int[rows]);
        var trunk = Enumerable.Range(0, groups).Select(g => step.LogProbs![g * width]).ToArray(); // [groups][d_vocab]
        var sources = Enumerable.Range(0, rows).ToArray();
        for (var t = 1; t < length; t++)
        {
            cancellation.ThrowIfCancellationRequested();
            var candidates = trunk.Select(lp => Ranking.TopIndices(lp, k)).ToArray();
            var next = new int[rows];
            for (var g = 0; g < groups; g++)
            {
                candidates[g].CopyTo(next, g * width);
                next[g * width + k] = texts[g][t];
            }
            session.CopyRows(sources, next);
            step = session.Step(force: new int[rows]); // row g·(k+1) + j read candidate j; row g·(k+1) + k the true token
            for (var g = 0; g < groups; g++)
            {
                var target = texts[g][t];
                var h = new double[k];
                for (var j = 0; j < k; j++)
                    h[j] = Entropy(step.LogProbs![g * width + j], $"text {g}, position {t}, candidate {j}");
                var lp = candidates[g].Select(c => (double)trunk[g][c]).ToArray();
                positions[g].Add(new LookaheadPosition(lp, h, Array.IndexOf(candidates[g], target), trunk[g][target]));
                trunk[g] = step.LogProbs![g * width + k];
                for (var j = 0; j < width; j++)
                    sources[g * width + j] = g * width + k;
            }
            advance?.Invoke();
        }
        return positions;
    }

    /// <summary>Generations from p̂_α: every step the k candidates' lookahead entropies reweight p̂ (LookaheadCalibration),
    /// and the token is drawn from the result.</summary>
    /// <param name="model">The model.</param>
    /// <param name="prompts">[generations][P] prompts of equal length.</param>
    /// <param name="length">Tokens to generate.</param>
    /// <param name="k">Candidates per step.</param>
    /// <param name="alpha">α.</param>
    /// <param name="seed">Generation g draws from new Random(seed + g).</param>
    /// <param name="cancellation">Checked between passes.</param>
    /// <param name="advance">Called after each pass.</param>
    public static SampledTrajectory[] Calibrated(
        LanguageModel model,
        int[][] prompts,
        int length,
        int k,
        double alpha,
        int seed,
        CancellationToken cancellation,
        Action? advance = null
    )
    {
        var (groups, width) = (prompts.Length, k + 1);
        var rows = groups * width;
        var random = Enumerable.Range(0, groups).Select(g => new Random(seed + g)).ToArray();
        var output = Enumerable.Range(0, groups).Select(_ => new Builder(length)).ToArray();
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = length + 1, Outputs = StepOutputs.LogProbs });
        var step = session.Prefill([.. Enumerable.Range(0, rows).Select(r => prompts[r / width])], force: new int[rows]);
        var trunk = Enumerable.Range(0, groups).Select(g => step.LogProbs![g * width]).ToArray(); // [groups][d_vocab]
        var sources = Enumerable.Range(0, rows).ToArray();
        for (var t = 0; t < length; t++)
        {
            cancellation.ThrowIfCancellationRequested();
            var candidates = trunk.Select(lp => Ranking.TopIndices(lp, k)).ToArray();
            var next = new int[rows];
            var others = new (double Mass, double EntropyTerm)[groups];
            for (var g = 0; g < groups; g++)
            {
                candidates[g].CopyTo(next, g * width);
                var (draw, mass, term) = DrawOther(trunk[g], candidates[g], random[g]);
                next[g * width + k] = draw;
                others[g] = (mass, term);
            }
            session.CopyRows(sources, next);
            step = session.Step(force: new int[rows]);
            for (var g = 0; g < groups; g++)
            {
                var h = new double[k];
                for (var j = 0; j < k; j++)
                    h[j] = Entropy(step.LogProbs![g * width + j], $"generation {g}, step {t}, candidate {j}");
                var lp = candidates[g].Select(c => (double)trunk[g][c]).ToArray();
                var (q, _) = LookaheadCalibration.Distribution(lp, h, alpha);
                var u = random[g].NextDouble();
                var chosen = k; // the row of the draw from the non-candidates unless u falls on a candidate
                for (var j = 0; j < k && chosen == k; j++)
                    if ((u -= q[j]) < 0)
                        chosen = j;
                var token = next[g * width + chosen];
                var position = new LookaheadPosition(lp, h, chosen < k ? chosen : -1, trunk[g][token]);
                var surprisal = -LookaheadCalibration.LogProbability(position, alpha);
                var entropy = LookaheadCalibration.Entropy(lp, h, alpha, others[g].EntropyTerm, others[g].Mass);
                output[g].Add(token, surprisal, entropy, -trunk[g][token], Entropy(trunk[g], $"generation {g}, step {t}"), g, t);
                trunk[g] = step.LogProbs![g * width + chosen];
                for (var j = 0; j < width; j++)
                    sources[g * width + j] = g * width + chosen;
            }
            advance?.Invoke();
        }
        return [.. output.Select(o => o.Build())];
    }

    /// <summary>Pure ancestral sampling at temperature 1, every row its own random stream, in one session.</summary>
    /// <param name="model">The model.</param>
    /// <param name="prompts">[generations][P] prompts of equal length.</param>
    /// <param name="length">Tokens to generate.</param>
    /// <param name="seed">The session's seed.</param>
    /// <param name="cancellation">Checked between passes.</param>
    /// <param name="advance">Called after each pass.</param>
    public static SampledTrajectory[] Ancestral(
        LanguageModel model,
        int[][] prompts,
        int length,
        int seed,
        CancellationToken cancellation,
        Action? advance = null
    )
    {
        var output = prompts.Select(_ => new Builder(length)).ToArray();
        using var session = model.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = length,
                Sampler = new SamplerOptions { Temperature = 1 },
                Seed = seed,
                Outputs = StepOutputs.LogProbs,
            }
        );
        for (var t = 0; t < length; t++)
        {
            cancellation.ThrowIfCancellationRequested();
            var step = t == 0 ? session.Prefill(prompts) : session.Step();
            for (var b = 0; b < prompts.Length; b++)
            {
                var lp = step.LogProbs![b];
                var s = -(double)lp[step.Tokens[b]];
                var h = Entropy(lp, $"generation {b}, step {t}");
                output[b].Add(step.Tokens[b], s, h, s, h, b, t);
            }
            advance?.Invoke();
        }
        return [.. output.Select(o => o.Build())];
    }

    /// <summary>H(p̂) in nats from ln p̂; a non-finite value is an error naming <paramref name="site"/>.</summary>
    /// <param name="logProbs">[d_vocab] ln p̂.</param>
    /// <param name="site">Where it was read, for the error.</param>
    /// <exception cref="InvalidOperationException">The entropy is not finite.</exception>
    public static double Entropy(float[] logProbs, string site) =>
        TokenEntropy.Entropy(logProbs) is var h && double.IsFinite(h)
            ? h
            : throw new InvalidOperationException($"entropy at {site} is {h}");

    /// <summary>A token drawn from p̂ restricted to the non-candidates, their mass and −Σ p̂ ln p̂ over them; the first
    /// candidate when they hold no mass.</summary>
    private static (int Token, double Mass, double EntropyTerm) DrawOther(float[] logProbs, int[] candidates, Random random)
    {
        var excluded = new HashSet<int>(candidates);
        double mass = 0,
            term = 0;
        for (var i = 0; i < logProbs.Length; i++)
            if (!excluded.Contains(i) && logProbs[i] > float.NegativeInfinity)
            {
                var p = Math.Exp(logProbs[i]);
                mass += p;
                term -= p * logProbs[i];
            }
        var u = random.NextDouble() * mass;
        var last = -1;
        for (var i = 0; i < logProbs.Length; i++)
            if (!excluded.Contains(i) && logProbs[i] > float.NegativeInfinity)
            {
                last = i;
                if ((u -= Math.Exp(logProbs[i])) < 0)
                    return (i, mass, term);
            }
        return (last >= 0 ? last : candidates[0], mass, term);
    }

    /// <summary>Collects one trajectory step by step, refusing non-finite values.</summary>
    private sealed class Builder(int length)
    {
        private readonly List<int> _tokens = new(length);
        private readonly List<double>[] _values = [new(length), new(length), new(length), new(length)];

        public void Add(int token, double surprisal, double entropy, double modelSurprisal, double modelEntropy, int row, int step)
        {
            double[] values = [surprisal, entropy, modelSurprisal, modelEntropy];
            string[] names = ["surprisal", "entropy", "model surprisal", "model entropy"];
            for (var i = 0; i < 4; i++)
            {
                if (!double.IsFinite(values[i]))
                    throw new InvalidOperationException($"{names[i]} of generation {row} at step {step} is {values[i]}");
                _values[i].Add(values[i]);
            }
            _tokens.Add(token);
        }

        public SampledTrajectory Build() => new([.. _tokens], [.. _values[0]], [.. _values[1]], [.. _values[2]], [.. _values[3]]);
    }
}

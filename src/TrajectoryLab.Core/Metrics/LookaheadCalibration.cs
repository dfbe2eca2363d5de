// Braverman et al.'s one-parameter entropy-rate calibration with the one-step lookahead entropy, on the top-k candidates.
// The calibrated model is p̂_α(x | x_<t) ∝ p̂(x | x_<t) · exp(−α · Ĥ(x)), Ĥ(x) = H(p̂(· | x_<t, x)) the entropy of the
// model's NEXT distribution after appending x; α is fitted by minimising the cross-entropy of p̂_α on held-out text, and
// at the minimum the derivative E_text[Ĥ(x_t)] − E_text E_{p̂_α}[Ĥ] vanishes: the model's expected next-step entropy on
// its own choices matches the one it has on the text (the paper's calibration theorem). Computing Ĥ for every token of the
// vocabulary is |V| passes per position, so (as in the public implementation of the paper's code, generate_with_calibration.py,
// which fills the uncomputed entropies with the candidates' mean, a "centered adjustment") Ĥ is computed for the k most
// probable tokens only and every other token gets their mean H̄ (unweighted). Writing Δ_j = Ĥ_j − H̄, the exp(−αH̄)
// common to all tokens cancels, and
//     log p̂_α(x_j) = log p̂(x_j) − αΔ_j − log(1 + Σ_j p̂_j · expm1(−αΔ_j))      (candidates)
//     log p̂_α(x)   = log p̂(x)         − log(1 + Σ_j p̂_j · expm1(−αΔ_j))      (every other token: their relative
//                                                                              probabilities are unchanged)
// which is exactly log p̂ at α = 0 (expm1(0) = 0), stable for large |α| Δ, and convex in α (a log-sum-exp of linear
// functions), so a grid plus a golden-section refine finds its minimum.
// References: Braverman, Chen, Kakade, Narasimhan, Zhang & Zhang (2020), "Calibration, Entropy Rates, and Memory in
// Language Models", ICML, PMLR 119 (arXiv:1906.05664), the calibration of the entropy rate with a lookahead (future)
// entropy and its one-parameter fit by held-out cross-entropy.
using MathNet.Numerics;

namespace TrajectoryLab.Core.Metrics;

/// <summary>One position of held-out text: the model's k candidates, their lookahead entropies and the true token.</summary>
/// <param name="CandidateLogProbs">[k] ln p̂ of the k most probable tokens.</param>
/// <param name="LookaheadEntropies">[k] Ĥ_j, nats: the entropy of the next distribution after appending candidate j.</param>
/// <param name="Target">Index of the true token among the candidates, or −1 when it is another token.</param>
/// <param name="TargetLogProb">ln p̂ of the true token.</param>
public sealed record LookaheadPosition(double[] CandidateLogProbs, double[] LookaheadEntropies, int Target, double TargetLogProb);

/// <summary>The fitted α: the grid, its cross-entropies, the refined minimum.</summary>
/// <param name="Grid">α values evaluated, ascending.</param>
/// <param name="CrossEntropies">Cross-entropy (nats/token) at each grid α.</param>
/// <param name="Alpha">α* (the grid minimum refined by golden section between its neighbours).</param>
/// <param name="CrossEntropy">CE(α*).</param>
/// <param name="Uncalibrated">CE(0), the model itself.</param>
/// <param name="AtGridEdge">Whether the grid minimum was its first or last point (the minimum may lie outside).</param>
public sealed record AlphaFit(
    double[] Grid,
    double[] CrossEntropies,
    double Alpha,
    double CrossEntropy,
    double Uncalibrated,
    bool AtGridEdge
);

/// <summary>The calibrated distribution p̂_α over the candidates and the rest, and the fit of α.</summary>
public static class LookaheadCalibration
{
    /// <summary>H̄: the mean lookahead entropy of the candidates, the value every other token is given.</summary>
    public static double TailEntropy(ReadOnlySpan<double> entropies)
    {
        if (entropies.Length == 0)
            return 0;
        var sum = 0.0;
        foreach (var h in entropies)
            sum += h;
        return sum / entropies.Length;
    }

    /// <summary>ln(1 + Σ_j p̂_j · expm1(−α(Ĥ_j − H̄))): the log normaliser of p̂_α relative to p̂.</summary>
    /// <param name="logProbs">[k] ln p̂ of the candidates.</param>
    /// <param name="entropies">[k] their lookahead entropies.</param>
    /// <param name="alpha">α.</param>
    /// <exception cref="ArgumentException">Lengths differ, or a non-finite input or result.</exception>
    public static double LogNormaliser(ReadOnlySpan<double> logProbs, ReadOnlySpan<double> entropies, double alpha)
    {
        if (logProbs.Length != entropies.Length)
            throw new ArgumentException($"{logProbs.Length} log-probabilities but {entropies.Length} entropies");
        var mean = TailEntropy(entropies);
        var sum = 0.0;
        for (var j = 0; j < logProbs.Length; j++)
            sum += Math.Exp(logProbs[j]) * double.ExpM1(-alpha * (entropies[j] - mean));
        var result = double.LogP1(sum);
        if (!double.IsFinite(result))
            throw new ArgumentException($"log normaliser at α = {alpha} is {result} (Σ = {sum}): non-finite input");
        return result;
    }

    /// <summary>ln p̂_α of the position's true token.</summary>
    public static double LogProbability(LookaheadPosition position, double alpha)
    {
        var shift =
            position.Target >= 0 ? -alpha * (position.LookaheadEntropies[position.Target] - TailEntropy(position.LookaheadEntropies)) : 0;
        return position.TargetLogProb + shift - LogNormaliser(position.CandidateLogProbs, position.LookaheadEntropies, alpha);
    }

    /// <summary>Mean −ln p̂_α(x_t) over <paramref name="positions"/>, nats per token.</summary>
    /// <exception cref="ArgumentException">No position, or a non-finite value (naming the position).</exception>
    public static double CrossEntropy(IReadOnlyList<LookaheadPosition> positions, double alpha)
    {
        if (positions.Count == 0)
            throw new ArgumentException("no position to score");
        var sum = 0.0;
        for (var i = 0; i < positions.Count; i++)
        {
            var lp = LogProbability(positions[i], alpha);
            if (!double.IsFinite(lp))
                throw new ArgumentException($"ln p̂_α at position {i} (α = {alpha}) is {lp}");
            sum -= lp;
        }
        return sum / positions.Count;
    }

    /// <summary>p̂_α over the candidates and the rest as a block.</summary>
    /// <param name="logProbs">[k] ln p̂ of the candidates.</param>
    /// <param name="entropies">[k] their lookahead entropies.</param>
    /// <param name="alpha">α.</param>
    /// <returns>[k] calibrated probabilities of the candidates, and the calibrated mass of every other token together
    /// (each of them scaled by the same factor, so within the rest p̂'s proportions hold).</returns>
    public static (double[] Candidates, double Others) Distribution(
        ReadOnlySpan<double> logProbs,
        ReadOnlySpan<double> entropies,
        double alpha
    )
    {
        var logZ = LogNormaliser(logProbs, entropies, alpha);
        var mean = TailEntropy(entropies);
        var candidates = new double[logProbs.Length];
        var mass = 0.0;
        for (var j = 0; j < logProbs.Length; j++)
        {
            candidates[j] = Math.Exp(logProbs[j] - alpha * (entropies[j] - mean) - logZ);
            mass += Math.Exp(logProbs[j]);
        }
        return (candidates, Math.Max(0, 1 - mass) * Math.Exp(-logZ));
    }

    /// <summary>The entropy of p̂_α over the whole vocabulary, nats.</summary>
    /// <param name="logProbs">[k] ln p̂ of the candidates.</param>
    /// <param name="entropies">[k] their lookahead entropies.</param>
    /// <param name="alpha">α.</param>
    /// <param name="restEntropyTerm">−Σ p̂(x) ln p̂(x) over every token that is not a candidate.</param>
    /// <param name="restMass">Σ p̂(x) over those tokens.</param>
    public static double Entropy(
        ReadOnlySpan<double> logProbs,
        ReadOnlySpan<double> entropies,
        double alpha,
        double restEntropyTerm,
        double restMass
    )
    {
        var logZ = LogNormaliser(logProbs, entropies, alpha);
        var mean = TailEntropy(entropies);
        var h = 0.0;
        for (var j = 0; j < logProbs.Length; j++)
        {
            var lq = logProbs[j] - alpha * (entropies[j] - mean) - logZ;
            h -= Math.Exp(lq) * lq;
        }
        // rest: q = p̂ / Z', so −Σ q ln q = (−Σ p̂ ln p̂ + P_rest ln Z') / Z'
        return h + Math.Exp(-logZ) * (restEntropyTerm + restMass * logZ);
    }

    /// <summary>α* minimising <see cref="CrossEntropy"/>: the grid's minimum, refined by golden section between its grid
    /// neighbours and kept only when it is lower; CE(α*) ≤ CE(0) whenever the grid holds 0.</summary>
    /// <param name="positions">Held-out positions.</param>
    /// <param name="grid">α values (at least 2).</param>
    /// <param name="tolerance">Golden-section tolerance in α.</param>
    /// <exception cref="ArgumentException">Fewer than 2 distinct grid points, or a non-finite cross-entropy.</exception>
    public static AlphaFit Fit(IReadOnlyList<LookaheadPosition> positions, IEnumerable<double> grid, double tolerance = 1e-4)
    {
        double[] alphas = [.. grid.Distinct().Order()];
        if (alphas.Length < 2)
            throw new ArgumentException("the α grid needs at least 2 distinct values");
        double[] ce = [.. alphas.Select(a => CrossEntropy(positions, a))];
        var best = Array.IndexOf(ce, ce.Min());
        var (alpha, value) = (alphas[best], ce[best]);
        var (lo, hi) = (alphas[Math.Max(0, best - 1)], alphas[Math.Min(alphas.Length - 1, best + 1)]);
        var refined = FindMinimum.OfScalarFunctionConstrained(a => CrossEntropy(positions, a), lo, hi, tolerance);
        var refinedValue = CrossEntropy(positions, refined);
        if (refinedValue < value)
            (alpha, value) = (refined, refinedValue);
        return new AlphaFit(alphas, ce, alpha, value, CrossEntropy(positions, 0), best == 0 || best == alphas.Length - 1);
    }
}

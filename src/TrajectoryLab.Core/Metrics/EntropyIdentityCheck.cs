// Numerical check of the entropy identities (docs/science.md) on random Gaussian logits, and the curve H(T) with
// its analytic and finite-difference derivatives: the data behind the entropy-identities experiment.

using MathNet.Numerics.Distributions;

namespace TrajectoryLab.Core.Metrics;

/// <summary>The worst violation of one identity over all random rows and temperatures.</summary>
/// <param name="Name">The identity, e.g. "KL(p||U) = ln|V| - H".</param>
/// <param name="MaxResidual">Largest absolute residual (relative to max(1, |value|) for finite differences).</param>
/// <param name="Tolerance">The stated tolerance.</param>
/// <param name="Pass">MaxResidual ≤ Tolerance.</param>
public sealed record IdentityResidual(string Name, double MaxResidual, double Tolerance, bool Pass);

/// <summary>One point of H(T) on a fixed logit vector.</summary>
/// <param name="Temperature">T.</param>
/// <param name="Entropy">H(T) in nats.</param>
/// <param name="AnalyticDerivative">dH/dT = Var_p(z) / T³.</param>
/// <param name="FiniteDifferenceDerivative">(H(T + h) − H(T − h)) / 2h with h = 1e-4 T.</param>
public sealed record TemperaturePoint(double Temperature, double Entropy, double AnalyticDerivative, double FiniteDifferenceDerivative);

/// <summary>Residuals of every identity and the H(T) curve.</summary>
public sealed record EntropyIdentityReport(IdentityResidual[] Identities, TemperaturePoint[] Curve);

/// <summary>Checks the entropy identities on random logits.</summary>
public static class EntropyIdentityCheck
{
    private const double RelativeStep = 1e-4; // finite-difference step in T, relative to T
    private const double LogitStep = 1e-5; // finite-difference step in z_k
    private const int CoordinatesPerRow = 8; // logits probed by the gradient check per row and temperature

    /// <summary>
    /// Draws <paramref name="rows"/> logit vectors z ~ N(0, σ²)^|V| from <paramref name="seed"/> and returns the largest
    /// residual of each identity over rows and <paramref name="temperatures"/>, plus H(T) on the first row.
    /// </summary>
    /// <param name="seed">Seed of the generator (System.Random); the same seed gives the same report.</param>
    /// <param name="vocabularySize">|V| ≥ 2.</param>
    /// <param name="rows">Number of random logit vectors (≥ 2: CE pairs row r with row r + 1).</param>
    /// <param name="temperatures">Temperature grid, each T &gt; 0; also the points of the curve.</param>
    /// <param name="logitScale">σ of the logits. Default 3 (LM-like: a few nats of entropy at T = 1 for |V| ~ 1e3).</param>
    /// <remarks>
    /// Identities: 0 ≤ H ≤ ln|V|; H = ln Z − βE_p[z]; V = Var_p(z)/T²; dH/dT = Var_p(z)/T³ (central difference);
    /// dH/dz_k = −β p_k (ln p_k + H) (central difference); KL(p‖U) = ln|V| − H; CE(q, p) = H(q) + KL(q‖p);
    /// E_p[−ln p] = H; H(T) non-decreasing on the sorted grid.
    /// </remarks>
    public static EntropyIdentityReport Run(
        int seed,
        int vocabularySize,
        int rows,
        IReadOnlyList<double> temperatures,
        double logitScale = 3.0
    )
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(vocabularySize, 2);
        ArgumentOutOfRangeException.ThrowIfLessThan(rows, 2);
        ArgumentNullException.ThrowIfNull(temperatures);
        ArgumentOutOfRangeException.ThrowIfZero(temperatures.Count, nameof(temperatures));

        var random = new Random(seed);
        // logits: [rows][vocab]
        var logits = Enumerable.Range(0, rows).Select(_ => Normal.Samples(random, 0, logitScale).Take(vocabularySize).ToArray()).ToArray();
        var sortedT = temperatures.Order().ToArray();
        var residuals = new Dictionary<string, (double Residual, double Tolerance)>();
        void Record(string name, double residual, double tolerance)
        {
            var previous = residuals.TryGetValue(name, out var r) ? r.Residual : 0.0;
            residuals[name] = (Math.Max(previous, residual), tolerance);
        }

        var logProbs = new double[vocabularySize];
        var gradient = new double[vocabularySize];
        var lnV = Math.Log(vocabularySize);
        for (var r = 0; r < rows; r++)
        {
            var z = logits[r];
            var previousH = double.NegativeInfinity;
            foreach (var t in sortedT)
            {
                var options = new EntropyOptions(t);
                var s = TokenEntropy.OfLogits(z, options, logProbs);
                var h = s.Entropy;
                Record("0 <= H <= ln|V|", Math.Max(0, Math.Max(-h, h - lnV)), 1e-12);
                Record("H = ln Z - beta E[z]", Math.Abs(h - (s.LogPartition - s.MeanLogit / t)), 1e-9);
                Record("varentropy = Var(z) / T^2", Math.Abs(s.Varentropy - s.LogitVariance / (t * t)) / Math.Max(1, s.Varentropy), 1e-9);
                Record("KL(p||U) = ln|V| - H", Math.Abs(KlToUniformDirect(logProbs) - (lnV - h)), 1e-10);
                Record("E_p[surprisal] = H", Math.Abs(ExpectedSurprisal(logProbs) - h), 1e-12);
                Record("H(T) non-decreasing", Math.Max(0, previousH - h), 1e-12);
                previousH = h;

                var analytic = EntropyDerivatives.WithRespectToTemperature(z, t);
                var numeric = TemperatureDifference(z, t);
                Record("dH/dT = Var(z) / T^3", Math.Abs(analytic - numeric) / Math.Max(1, Math.Abs(analytic)), 1e-6);

                EntropyDerivatives.WithRespectToLogits(z, t, gradient);
                for (var c = 0; c < CoordinatesPerRow; c++)
                {
                    var k = random.Next(vocabularySize);
                    Record("dH/dz_k = -beta p_k (ln p_k + H)", Math.Abs(gradient[k] - LogitDifference(z, t, k)), 1e-7);
                }

                var ce = CrossEntropy.Compute(logits[(r + 1) % rows], z, options);
                Record("CE(q,p) = H(q) + KL(q||p)", Math.Abs(ce.CrossEntropy - (ce.Entropy + ce.Kl)) / Math.Max(1, ce.CrossEntropy), 1e-12);
            }
        }

        var identities = residuals
            .Select(kv => new IdentityResidual(kv.Key, kv.Value.Residual, kv.Value.Tolerance, kv.Value.Residual <= kv.Value.Tolerance))
            .ToArray();
        var curve = sortedT
            .Select(t => new TemperaturePoint(
                t,
                EntropyAt(logits[0], t),
                EntropyDerivatives.WithRespectToTemperature(logits[0], t),
                TemperatureDifference(logits[0], t)
            ))
            .ToArray();
        return new EntropyIdentityReport(identities, curve);
    }

    private static double EntropyAt(double[] z, double t) => TokenEntropy.OfLogits(z, new EntropyOptions(t)).Entropy;

    private static double TemperatureDifference(double[] z, double t)
    {
        var h = RelativeStep * t;
        return (EntropyAt(z, t + h) - EntropyAt(z, t - h)) / (2 * h);
    }

    private static double LogitDifference(double[] z, double t, int k)
    {
        var shifted = (double[])z.Clone();
        shifted[k] = z[k] + LogitStep;
        var up = EntropyAt(shifted, t);
        shifted[k] = z[k] - LogitStep;
        return (up - EntropyAt(shifted, t)) / (2 * LogitStep);
    }

    private static double KlToUniformDirect(double[] logProbs) // Σ p ln(p |V|)
    {
        var lnV = Math.Log(logProbs.Length);
        return logProbs.Where(lp => !double.IsNegativeInfinity(lp)).Sum(lp => Math.Exp(lp) * (lp + lnV));
    }

    private static double ExpectedSurprisal(double[] logProbs) =>
        Enumerable
            .Range(0, logProbs.Length)
            .Where(k => !double.IsNegativeInfinity(logProbs[k]))
            .Sum(k => Math.Exp(logProbs[k]) * TokenEntropy.Surprisal(logProbs, k));
}

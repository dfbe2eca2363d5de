// Largest Lyapunov exponent from a scalar time series.
// Rosenstein, Collins, De Luca (1993), "A practical method for calculating largest Lyapunov exponents from small
// data sets", Physica D 65:117-134. Theiler window: Theiler (1986), Phys. Rev. A 34:2427.
// Defaults: EmbeddingDimension = 2, Delay = 1, TheilerWindow = 10, Horizon = 30, fit [0, 10], SamplingTime = 1.
namespace TrajectoryLab.Core.Lyapunov;

/// <summary>Parameters of <see cref="Rosenstein"/>. Counts are in samples.</summary>
/// <param name="EmbeddingDimension">Delay-embedding dimension m. Default 2.</param>
/// <param name="Delay">Embedding delay τ. Default 1.</param>
/// <param name="TheilerWindow">Neighbours must be more than this many samples apart in time (Rosenstein: about the mean period). Default
/// 10.</param>
/// <param name="Horizon">Steps i = 0..Horizon over which the divergence curve is followed. Default 30.</param>
/// <param name="FitStart">First index of the scaling region. Default 0.</param>
/// <param name="FitEnd">Last index of the scaling region (inclusive), before saturation. Default 10.</param>
/// <param name="SamplingTime">Time between samples Δt. Default 1.</param>
public sealed record RosensteinOptions(
    int EmbeddingDimension = 2,
    int Delay = 1,
    int TheilerWindow = 10,
    int Horizon = 30,
    int FitStart = 0,
    int FitEnd = 10,
    double SamplingTime = 1.0
);

/// <summary>Outcome of <see cref="Rosenstein.Compute"/>: the whole divergence curve and the fit over its scaling region.</summary>
/// <param name="Exponent">λ1 per unit time (the fit's slope); NaN on breakdown.</param>
/// <param name="Time">t_i = i·Δt, i = 0..Horizon.</param>
/// <param name="Divergence">d(i) = ⟨ln ||p_{j+i} − p_{ĵ+i}||⟩ over reference points j and their nearest neighbours ĵ.</param>
/// <param name="Pairs">Number of pairs averaged at each i (pairs at distance exactly zero are skipped).</param>
/// <param name="Fit">Least-squares line over [FitStart, FitEnd].</param>
/// <param name="Breakdown">Why no exponent could be fitted; null on success.</param>
public sealed record RosensteinResult(double Exponent, double[] Time, double[] Divergence, int[] Pairs, LineFit Fit, string? Breakdown)
{
    /// <summary>True when the fit succeeded.</summary>
    public bool Succeeded => Breakdown is null;
}

/// <summary>Rosenstein's estimator of the largest Lyapunov exponent from data.</summary>
public static class Rosenstein
{
    /// <summary>Estimates λ1 from <paramref name="series"/>.</summary>
    /// <remarks>
    /// Points p_j = (x_j, x_{j+τ}, …, x_{j+(m−1)τ}). Each reference p_j, j &lt; M − Horizon, gets its Euclidean nearest
    /// neighbour p_ĵ with |j − ĵ| &gt; TheilerWindow (and ĵ &lt; M − Horizon, so every pair is followed for the whole horizon).
    /// d(i) = mean_j ln ||p_{j+i} − p_{ĵ+i}|| grows like λ1·i·Δt + const in the scaling region and saturates at the
    /// attractor size; λ1 is the least-squares slope of d against t over [FitStart, FitEnd]. Brute-force search: O(M² m).
    /// </remarks>
    /// <exception cref="ArgumentException">An option is out of range, or the series is too short for the embedding, horizon and Theiler
    /// window.</exception>
    public static RosensteinResult Compute(IReadOnlyList<double> series, RosensteinOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(series);
        options ??= new RosensteinOptions();
        var (m, tau, w, horizon) = (options.EmbeddingDimension, options.Delay, options.TheilerWindow, options.Horizon);
        ArgumentOutOfRangeException.ThrowIfLessThan(m, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(tau, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfNegative(w, nameof(options));
        ArgumentOutOfRangeException.ThrowIfLessThan(horizon, 1, nameof(options));
        ArgumentOutOfRangeException.ThrowIfGreaterThan(options.FitEnd, horizon, nameof(options));
        if (!(options.SamplingTime > 0) || !double.IsFinite(options.SamplingTime))
            throw new ArgumentOutOfRangeException(nameof(options), "SamplingTime must be positive and finite.");
        var points = series.Count - (m - 1) * tau; // M embedded points
        var references = points - horizon; // points that can be followed for the whole horizon
        if (references <= w + 1)
            throw new ArgumentException(
                $"The series ({series.Count} samples) is too short for m = {m}, τ = {tau}, horizon {horizon} and Theiler window {w}.",
                nameof(series)
            );

        double Distance(int a, int b)
        {
            var sum = 0.0;
            for (var c = 0; c < m; c++)
            {
                var diff = series[a + c * tau] - series[b + c * tau];
                sum += diff * diff;
            }
            return Math.Sqrt(sum);
        }

        var logSum = new double[horizon + 1]; // (horizon + 1,)
        var pairs = new int[horizon + 1]; // (horizon + 1,)
        for (var j = 0; j < references; j++)
        {
            var (nearest, best) = (-1, double.PositiveInfinity);
            for (var k = 0; k < references; k++)
            {
                if (Math.Abs(k - j) <= w)
                    continue;
                var d = Distance(j, k);
                if (d > 0 && d < best)
                    (nearest, best) = (k, d);
            }
            if (nearest < 0)
                continue;
            for (var i = 0; i <= horizon; i++)
            {
                var d = Distance(j + i, nearest + i);
                if (!(d > 0))
                    continue;
                logSum[i] += Math.Log(d);
                pairs[i]++;
            }
        }

        var time = Enumerable.Range(0, horizon + 1).Select(i => i * options.SamplingTime).ToArray();
        var divergence = logSum.Select((s, i) => pairs[i] > 0 ? s / pairs[i] : double.NaN).ToArray();
        var (fit, breakdown) = LineFit.Over(time, divergence, options.FitStart, options.FitEnd);
        return new RosensteinResult(fit.Slope, time, divergence, pairs, fit, breakdown);
    }
}

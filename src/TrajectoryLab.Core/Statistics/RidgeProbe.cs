// A linear probe: which of C classes a feature vector encodes, read off by ridge regression onto one-hot targets
// (Alain & Bengio 2016, "Understanding intermediate layers using linear classifier probes"; Hoerl & Kennard 1970 for
// ridge). Features are standardised with the training set's means and deviations; W = (XᵀX + λI)⁻¹ XᵀY is solved by
// Cholesky (MathNet), the intercept left unpenalised by centring. The predicted class is the argmax of x·W.
using MathNet.Numerics.LinearAlgebra;

namespace TrajectoryLab.Core.Statistics;

/// <summary>A trained ridge probe.</summary>
public sealed class RidgeProbe
{
    private readonly double[] _mean; // [features]
    private readonly double[] _scale; // [features], 1 / standard deviation (1 for a constant feature)
    private readonly Matrix<double> _weights; // [features, classes]
    private readonly double[] _bias; // [classes]

    private RidgeProbe(double[] mean, double[] scale, Matrix<double> weights, double[] bias) =>
        (_mean, _scale, _weights, _bias) = (mean, scale, weights, bias);

    /// <summary>Number of classes.</summary>
    public int Classes => _bias.Length;

    /// <summary>Fits the probe.</summary>
    /// <param name="features">[n][features], every row the same length.</param>
    /// <param name="labels">[n] class indices in 0 … classes − 1.</param>
    /// <param name="classes">Number of classes.</param>
    /// <param name="lambda">Ridge penalty on the standardised features (≥ 0; &gt; 0 when features outnumber samples).</param>
    /// <exception cref="ArgumentException">No samples, ragged rows, a label out of range, or a negative λ.</exception>
    public static RidgeProbe Fit(IReadOnlyList<double[]> features, IReadOnlyList<int> labels, int classes, double lambda)
    {
        if (features.Count == 0 || features.Count != labels.Count)
            throw new ArgumentException($"{features.Count} feature rows for {labels.Count} labels", nameof(features));
        if (!(lambda >= 0))
            throw new ArgumentException($"λ = {lambda} must be ≥ 0", nameof(lambda));
        int n = features.Count,
            d = features[0].Length;
        if (features.Any(f => f.Length != d))
            throw new ArgumentException("feature rows differ in length", nameof(features));
        if (labels.Any(l => l < 0 || l >= classes))
            throw new ArgumentException($"a label is outside 0 … {classes - 1}", nameof(labels));

        var mean = new double[d];
        foreach (var f in features)
            for (var j = 0; j < d; j++)
                mean[j] += f[j] / n;
        var scale = new double[d];
        foreach (var f in features)
            for (var j = 0; j < d; j++)
                scale[j] += (f[j] - mean[j]) * (f[j] - mean[j]) / n;
        for (var j = 0; j < d; j++)
            scale[j] = scale[j] > 0 ? 1 / Math.Sqrt(scale[j]) : 1;

        var x = Matrix<double>.Build.Dense(n, d, (i, j) => (features[i][j] - mean[j]) * scale[j]); // [n, d], centred
        var classMean = new double[classes];
        foreach (var l in labels)
            classMean[l] += 1.0 / n;
        var y = Matrix<double>.Build.Dense(n, classes, (i, c) => (labels[i] == c ? 1 : 0) - classMean[c]); // [n, C], centred
        var gram = x.TransposeThisAndMultiply(x); // [d, d]
        for (var j = 0; j < d; j++)
            gram[j, j] += lambda;
        var weights = gram.Cholesky().Solve(x.TransposeThisAndMultiply(y)); // [d, C]
        return new RidgeProbe(mean, scale, weights, classMean);
    }

    /// <summary>The predicted class of <paramref name="feature"/>.</summary>
    /// <param name="feature">[features]</param>
    public int Predict(double[] feature)
    {
        var best = 0;
        var bestScore = double.NegativeInfinity;
        for (var c = 0; c < _bias.Length; c++)
        {
            var score = _bias[c];
            for (var j = 0; j < feature.Length; j++)
                score += (feature[j] - _mean[j]) * _scale[j] * _weights[j, c];
            if (score > bestScore)
                (best, bestScore) = (c, score);
        }
        return best;
    }

    /// <summary>The fraction of <paramref name="features"/> predicted as their <paramref name="labels"/>.</summary>
    public double Accuracy(IReadOnlyList<double[]> features, IReadOnlyList<int> labels) =>
        features.Count == 0 ? double.NaN : features.Select((f, i) => Predict(f) == labels[i] ? 1.0 : 0.0).Average();
}

// Oracles for attention entropy, aggregates, high-entropy positions, and the entropy identity check.

using System.Globalization;
using TrajectoryLab.Core.Metrics;

namespace TrajectoryLab.Core.Tests.Metrics;

public class AttentionAndAggregatesTests
{
    [Fact]
    public void Uniform_causal_attention_at_query_t_has_entropy_ln_t()
    {
        const int heads = 2, keys = 6;
        var pattern = new float[heads * keys * keys]; // [heads, queries, keys], uniform over the causal prefix
        for (var h = 0; h < heads; h++)
        {
            for (var i = 0; i < keys; i++)
            {
                for (var j = 0; j < keys; j++)
                {
                    pattern[(h * keys + i) * keys + j] = j <= i ? 1f / (i + 1) : 0.9f; // junk past the mask is ignored
                }
            }
        }

        var r = AttentionEntropy.Compute(pattern, heads, keys, keys);

        for (var i = 0; i < keys; i++)
        {
            Assert.Equal(Math.Log(i + 1), r.PerQuery[i], 1e-6);
            Assert.Equal(Math.Log(i + 1), r.PerQuery[keys + i], 1e-6);
        }

        Assert.True(double.IsNaN(r.NormalisedPerQuery[0]));
        Assert.All(r.NormalisedPerHead, n => Assert.Equal(1.0, n, 1e-6));
        Assert.Equal(Enumerable.Range(1, keys).Average(t => Math.Log(t)), r.PerHead[0], 1e-6);
        Assert.Equal(0, r.BadRows);
    }

    [Fact]
    public void Kv_cache_query_sees_all_keys()
    {
        double[] pattern = [0.25, 0.25, 0.25, 0.25, 1, 0, 0, 0]; // [2 heads, 1 query, 4 keys]

        var r = AttentionEntropy.Compute(pattern, heads: 2, queries: 1, keys: 4);

        Assert.Equal([Math.Log(4), 0.0], r.PerHead);
        Assert.Equal([1.0, 0.0], r.NormalisedPerHead);
        Assert.Equal("pattern", Assert.Throws<ArgumentException>(() => AttentionEntropy.Compute(pattern, 2, 1, 3)).ParamName);
    }

    [Fact]
    public void Aggregates_skip_and_count_NaN()
    {
        double[] values = [4, double.NaN, 1, 3, 2, 5];

        var s = EntropyAggregates.Summarize(values);

        Assert.Equal(new AggregateSummary(3, 3, 4.6, 5, 1), s with { P90 = Math.Round(s.P90, 12) });
        Assert.True(double.IsNaN(EntropyAggregates.Summarize([double.NaN]).Mean));
    }

    [Fact]
    public void High_entropy_positions_by_quantile_and_top_k()
    {
        double[][] entropies = [[0.1, 2.0, 0.3], [5.0, double.NaN, 1.0, 4.0]];

        var byQuantile = HighEntropyPositions.ByBatchQuantile(entropies, 0.5); // median of 0.1 0.3 1 2 4 5 = 1.5

        Assert.Equal(1.5, byQuantile.Threshold, 1e-15);
        Assert.Equal([1], byQuantile.Positions[0]);
        Assert.Equal([0, 3], byQuantile.Positions[1]);
        var topK = HighEntropyPositions.TopKPerSequence(entropies, 2);
        Assert.Equal([1, 2], topK[0]);
        Assert.Equal([0, 3], topK[1]);
    }

    [Fact]
    public void Entropy_identity_check_passes_and_its_derivative_curve_agrees()
    {
        double[] temperatures = [0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 4, 8];

        var report = EntropyIdentityCheck.Run(seed: 7, vocabularySize: 200, rows: 8, temperatures);

        Assert.Equal(9, report.Identities.Length);
        Assert.All(report.Identities, i => Assert.True(i.Pass, $"{i.Name}: {i.MaxResidual.ToString("E3", CultureInfo.InvariantCulture)}"));
        Assert.Equal(temperatures, report.Curve.Select(p => p.Temperature));
        Assert.All(report.Curve, p => Assert.Equal(p.AnalyticDerivative, p.FiniteDifferenceDerivative, 1e-6 * Math.Max(1, p.AnalyticDerivative)));
        Assert.Equal(report.Curve.Select(p => p.Entropy).Order(), report.Curve.Select(p => p.Entropy));
        Assert.Equal(report.Identities, EntropyIdentityCheck.Run(7, 200, 8, temperatures).Identities);
    }
}

// attention-sinks' mass measure on hand-made patterns whose answer is known: a head that sends every query to position 0
// reads 1 there; uniform causal attention reads the uniform baseline mean 1/(q + 1) exactly; a head attending to itself
// reads 0 beyond the start; the start mass of S positions; a NaN is named by layer, head and query; a transposed
// (key, query) pattern would give different numbers, so the axis is checked.
using TrajectoryLab.Experiments.AttentionSinks;

namespace TrajectoryLab.Cli.Tests.Measurements;

public sealed class SinkMassTests
{
    private const int N = 10;

    /// <summary>[heads, n, n] (query, key) with head 0 on position 0, head 1 uniform causal, head 2 on itself.</summary>
    private static float[] Pattern()
    {
        var p = new float[3 * N * N];
        for (var q = 0; q < N; q++)
        {
            p[(0 * N + q) * N + 0] = 1;
            for (var k = 0; k <= q; k++)
                p[(1 * N + q) * N + k] = 1f / (q + 1);
            p[(2 * N + q) * N + q] = 1;
        }
        return p;
    }

    [Fact]
    public void KnownHeadsReadTheirKnownMass()
    {
        const int start = 2;
        var sums = new SinkMassAccumulator("m", layers: 2, heads: 3, context: N, start);
        sums.Add([Pattern(), Pattern()]);
        sums.Add([Pattern(), Pattern()]); // a second text changes no mean
        var m = sums.Result();
        var uniform = Enumerable.Range(start, N - start).Average(q => 1.0 / (q + 1));
        Assert.Equal(uniform, m.Uniform, 12);
        for (var l = 0; l < 2; l++)
        {
            Assert.Equal(1, m.First[l * 3 + 0], 6); // the sink head
            Assert.Equal(uniform, m.First[l * 3 + 1], 6); // uniform attention reads the baseline
            Assert.Equal(0, m.First[l * 3 + 2], 6); // attending to itself, q ≥ S never reads 0
            Assert.Equal(1, m.Start[l * 3 + 0], 6);
            Assert.Equal(Enumerable.Range(start, N - start).Average(q => 2.0 / (q + 1)), m.Start[l * 3 + 1], 6);
            Assert.Equal(0, m.Start[l * 3 + 2], 6);
            Assert.Equal(N, m.FirstByPosition[l].Length);
            for (var q = 0; q < N; q++) // mean over heads: 1, 1/(q + 1), and 1 at q = 0 only
                Assert.Equal((1 + 1.0 / (q + 1) + (q == 0 ? 1 : 0)) / 3, m.FirstByPosition[l][q], 6);
        }
    }

    [Fact]
    public void ANonFiniteWeightIsNamed()
    {
        var bad = Pattern();
        bad[(1 * N + 4) * N + 0] = float.NaN;
        var sums = new SinkMassAccumulator("trained", layers: 2, heads: 3, context: N, start: 2);
        var e = Assert.Throws<InvalidOperationException>(() => sums.Add([Pattern(), bad]));
        Assert.Contains("layer 1, head 1, query 4", e.Message);
    }
}

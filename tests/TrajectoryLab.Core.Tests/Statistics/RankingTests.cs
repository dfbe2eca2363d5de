// Ranking.TopIndices against a full sort (FsCheck): the k largest, largest first, the smaller index first among equal
// values, −∞ last; k ≤ 0 and k beyond the length; ArgMax is the first top index. TokenEntropy's float overload gives the
// double one's entropy of the exactly widened values.
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Core.Statistics;

namespace TrajectoryLab.Core.Tests.Statistics;

public sealed class RankingTests
{
    [Property(MaxTest = 300)]
    public void TopIndicesIsTheHeadOfAStableDescendingSort(byte[] raw, byte k)
    {
        // Values from a few levels, so that ties are common; one level is −∞.
        float[] values = [.. raw.Select(b => b % 7 == 0 ? float.NegativeInfinity : b % 5)];
        int[] expected = [.. Enumerable.Range(0, values.Length).OrderByDescending(i => values[i]).ThenBy(i => i).Take(k % 12)];
        Assert.Equal(expected, Ranking.TopIndices(values, k % 12));
    }

    [Fact]
    public void EdgeCases()
    {
        Assert.Empty(Ranking.TopIndices([1f, 2f], 0));
        Assert.Empty(Ranking.TopIndices([1f, 2f], -3));
        Assert.Equal([1, 0], Ranking.TopIndices([1f, 2f], 9));
        Assert.Equal(2, Ranking.ArgMax([0f, 3f, 5f, 5f]));
        Assert.Throws<ArgumentException>(() => Ranking.ArgMax([]));
    }

    [Property(MaxTest = 100)]
    public void FloatEntropyIsTheDoubleEntropyOfTheWidenedValues(NormalFloat[] raw)
    {
        float[] logProbs = [.. raw.Select(x => -(float)Math.Abs(x.Get % 30)), float.NegativeInfinity];
        Assert.Equal(TokenEntropy.Entropy([.. logProbs.Select(x => (double)x)]), TokenEntropy.Entropy(logProbs), 12);
    }
}

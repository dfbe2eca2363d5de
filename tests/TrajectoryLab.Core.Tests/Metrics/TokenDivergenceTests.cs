// Edit (Levenshtein), Hamming and first-divergence measures of a perturbed token sequence: textbook distances and
// FsCheck properties of a metric (symmetry, identity, triangle inequality, length bounds).
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Core.Metrics;

namespace TrajectoryLab.Core.Tests.Metrics;

public sealed class TokenDivergenceTests
{
    // A 2-letter alphabet and short lengths make equal prefixes common, so the "0 iff equal" direction is exercised.
    private static readonly Arbitrary<int[]> Short = MetricsGen.Tokens(2, 10).ToArbitrary();
    private static readonly Arbitrary<int[]> Medium = MetricsGen.Tokens(4, 25).ToArbitrary();

    [Theory(DisplayName = "Textbook Levenshtein distances (unit costs) on character arrays")]
    [InlineData("kitten", "sitting", 3)]
    [InlineData("flaw", "lawn", 2)]
    [InlineData("intention", "execution", 5)]
    [InlineData("", "abc", 3)]
    [InlineData("abc", "abc", 0)]
    [InlineData("abc", "cab", 2)]
    public void KnownDistances(string a, string b, int expected)
    {
        Assert.Equal(expected, TokenDivergence.EditDistance<char>(a, b));
        Assert.Equal(expected, TokenDivergence.EditDistance<char>(b, a));
    }

    [Fact(DisplayName = "kitten → sitting step by step: D = 1 1 1 1 2 2 3, H the same, first divergence at 0")]
    public void KittenSitting()
    {
        var result = TokenDivergence.Compute<char>("kitten", "sitting");
        Assert.Equal([1, 1, 1, 1, 2, 2, 3], result.EditDistance);
        Assert.Equal([1, 1, 1, 1, 2, 2, 3], result.Hamming);
        Assert.Equal(0, result.FirstDivergence);
        Assert.Equal([1, 1 / 2.0, 1 / 3.0, 1 / 4.0, 2 / 5.0, 2 / 6.0, 3 / 7.0], result.NormalisedEditDistance);
    }

    [Fact(DisplayName = "A deleted token shifts the rest: Hamming grows by one per step while the edit distance stays 2")]
    public void Shift()
    {
        var result = TokenDivergence.Compute<int>([1, 2, 3, 4, 5], [1, 2, 4, 5, 6]);
        Assert.Equal([0, 0, 1, 2, 2], result.EditDistance);
        Assert.Equal([0, 0, 1, 2, 3], result.Hamming);
        Assert.Equal(2, result.FirstDivergence);
    }

    [Fact(DisplayName = "Equal sequences never diverge; a proper prefix diverges where it ends; empty gives empty arrays")]
    public void Edges()
    {
        var same = TokenDivergence.Compute<int>([4, 5, 6], [4, 5, 6]);
        Assert.Null(same.FirstDivergence);
        Assert.Equal([0, 0, 0], same.EditDistance);
        Assert.Equal([0, 0, 0], same.Hamming);

        var prefix = TokenDivergence.Compute<int>([4, 5], [4, 5, 6, 7]);
        Assert.Equal(2, prefix.FirstDivergence);
        Assert.Equal([0, 0, 1, 2], prefix.EditDistance);
        Assert.Equal([0, 0, 1, 2], prefix.Hamming);

        var empty = TokenDivergence.Compute<int>([], []);
        Assert.Empty(empty.EditDistance);
        Assert.Null(empty.FirstDivergence);
        Assert.Equal([1, 2], TokenDivergence.Compute<int>([], [9, 9]).EditDistance);
    }

    [Property(MaxTest = 300, DisplayName = "The per-step distances equal the edit distance of the prefixes computed on their own")]
    public Property PrefixDistancesMatchDirectComputation() =>
        Prop.ForAll(Medium, Medium, (a, b) =>
        {
            var prefix = TokenDivergence.PrefixEditDistances<int>(a, b);
            return prefix.Length == Math.Max(a.Length, b.Length) && prefix.Select((d, s) =>
                d == TokenDivergence.EditDistance<int>(a.AsSpan(0, Math.Min(s + 1, a.Length)), b.AsSpan(0, Math.Min(s + 1, b.Length)))).All(ok => ok);
        });

    [Property(MaxTest = 300, DisplayName = "Symmetric, 0 iff equal (whole sequences and every prefix), |La − Lb| ≤ d ≤ max(La, Lb), d ≤ Hamming")]
    public Property MetricAxiomsAndBounds() =>
        Prop.ForAll(Short, Short, (a, b) =>
        {
            var d = TokenDivergence.EditDistance<int>(a, b);
            var prefix = TokenDivergence.PrefixEditDistances<int>(a, b);
            var hamming = TokenDivergence.PrefixHammingDistances<int>(a, b);
            var prefixesAgree = prefix.Select((ds, s) =>
                (ds == 0) == a.Take(s + 1).SequenceEqual(b.Take(s + 1))
                && ds >= Math.Abs(Math.Min(s + 1, a.Length) - Math.Min(s + 1, b.Length))
                && ds <= s + 1
                && ds <= hamming[s]).All(ok => ok);
            return (d == TokenDivergence.EditDistance<int>(b, a)
                    && prefix.SequenceEqual(TokenDivergence.PrefixEditDistances<int>(b, a))
                    && (d == 0) == a.SequenceEqual(b)
                    && d >= Math.Abs(a.Length - b.Length)
                    && d <= Math.Max(a.Length, b.Length)
                    && prefixesAgree)
                .Label($"d = {d}, prefix = [{string.Join(", ", prefix)}], hamming = [{string.Join(", ", hamming)}]");
        });

    [Property(MaxTest = 300, DisplayName = "Triangle inequality d(a, c) ≤ d(a, b) + d(b, c)")]
    public Property TriangleInequality() =>
        Prop.ForAll(Short, Short, Short, (a, b, c) =>
            TokenDivergence.EditDistance<int>(a, c) <= TokenDivergence.EditDistance<int>(a, b) + TokenDivergence.EditDistance<int>(b, c));

    [Property(MaxTest = 300, DisplayName = "First divergence is the first step where Hamming increases (null iff it never does and the lengths agree)")]
    public Property FirstDivergenceIsFirstHammingIncrease() =>
        Prop.ForAll(Short, Short, (a, b) =>
        {
            var hamming = TokenDivergence.PrefixHammingDistances<int>(a, b);
            var increase = Enumerable.Range(0, hamming.Length).Where(s => hamming[s] > (s == 0 ? 0 : hamming[s - 1])).Cast<int?>().FirstOrDefault();
            var first = TokenDivergence.FirstDivergence<int>(a, b);
            return (first == increase && (first is null) == a.SequenceEqual(b)
                    && hamming.Zip(hamming.Skip(1), (h0, h1) => h1 - h0 is 0 or 1).All(ok => ok))
                .Label($"first = {first}, hamming = [{string.Join(", ", hamming)}]");
        });
}

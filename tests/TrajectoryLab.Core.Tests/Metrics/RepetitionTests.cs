// Oracles and FsCheck properties of cycle detection, repetition metrics, recurrence quantification, early warning.

using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Core.Metrics;

namespace TrajectoryLab.Core.Tests.Metrics;

public class RepetitionTests
{
    private static readonly Gen<(int[] Prefix, int[] Block, int Repeats)> PrefixPlusLoop =
        from prefix in MetricsGen.Tokens(1000, 20)
        from period in Gen.Choose(1, 8)
        from alphabet in Gen.Elements(2, 1000) // 2: the block is often itself periodic
        from block in Gen.Choose(0, alphabet - 1).ArrayOf(period)
        from repeats in Gen.Choose(3, 6)
        select (prefix, block, repeats);

    [Property(MaxTest = 300)]
    public Property Prefix_plus_repeated_block_is_found_with_its_period_and_onset() =>
        Prop.ForAll(PrefixPlusLoop.ToArbitrary(), c =>
        {
            int[] tokens = [.. c.Prefix, .. Enumerable.Repeat(c.Block, c.Repeats).SelectMany(b => b)];
            var cycle = CycleDetector.Detect(tokens);
            return cycle.IsLoop && c.Block.Length % cycle.Period == 0 && cycle.Onset <= c.Prefix.Length;
        });

    [Property(MaxTest = 200)]
    public Property Random_sequences_over_a_large_alphabet_are_not_loops() =>
        Prop.ForAll(MetricsGen.Tokens(1_000_000, 200).ToArbitrary(), tokens => !CycleDetector.Detect(tokens).IsLoop);

    [Fact]
    public void Cycle_oracle()
    {
        var cycle = CycleDetector.Detect([9, 8, 1, 2, 3, 1, 2, 3, 1, 2, 3, 1]);

        Assert.Equal(new Cycle(true, 3, 2, 10.0 / 3), cycle);
        Assert.Equal(Cycle.None, CycleDetector.Detect([1, 2, 3, 1, 2, 3]));
    }

    [Property(MaxTest = 200)]
    public Property Seq_rep_n_is_in_0_1_and_constant_sequences_give_1_minus_1_over_L_minus_n_plus_1() =>
        Prop.ForAll(MetricsGen.Tokens(5, 40).ToArbitrary(), Gen.Choose(1, 4).ToArbitrary(), (tokens, n) =>
        {
            var rep = RepetitionMetrics.SeqRepN(tokens, n);
            var constant = RepetitionMetrics.SeqRepN(Enumerable.Repeat(7, tokens.Length).ToArray(), n);
            return tokens.Length < n
                ? rep.Breakdown == MetricBreakdown.TooShort
                : rep.Value is >= 0 and <= 1 && Math.Abs(constant.Value - (1 - 1.0 / (tokens.Length - n + 1))) <= 1e-15;
        });

    [Fact]
    public void Repetition_oracles()
    {
        int[] tokens = [1, 2, 3, 1, 2, 4];

        Assert.Equal(1 - 4.0 / 5, RepetitionMetrics.SeqRepN(tokens, 2).Value, 1e-15); // bigrams 12 23 31 12 24
        Assert.Equal(4.0 / 6, RepetitionMetrics.DistinctN([tokens, [1, 2]], 2).Value, 1e-15); // 12 23 31 24 unique of 6
        Assert.Equal(2.0 / 6, RepetitionMetrics.RepL(tokens, 3).Value, 1e-15); // positions 3 and 4
        Assert.Equal(0.0, RepetitionMetrics.RepL(tokens, 2).Value);
        Assert.True(RepetitionMetrics.EndsInRepetition([5, 1, 2, 1, 2, 1, 2]));
        Assert.False(RepetitionMetrics.EndsInRepetition([5, 1, 2, 1, 2, 1]));
        Assert.True(RepetitionMetrics.EndsInRepetition([4, 4, 4, 4, 4, 4])); // "4 4" three times
        Assert.False(RepetitionMetrics.EndsInRepetition([4, 4, 4, 4, 4]));
        Assert.Equal(50.0, RepetitionMetrics.RepetitionPercent([[1, 2, 1, 2, 1, 2], [1, 2, 3]]).Value);
    }

    [Fact]
    public void Holtzman_loop_oracle_follows_the_authors_code()
    {
        // ari-holtzman/degen metrics/repetition.py: the phrase with the most back-to-back copies at the end (shortest on a
        // tie) must occur more than once and be ≥ 3 tokens long, or occur more than 50 times.
        Assert.True(RepetitionMetrics.EndsInHoltzmanLoop([5, 1, 2, 3, 1, 2, 3]));
        Assert.False(RepetitionMetrics.EndsInHoltzmanLoop([5, 1, 2, 1, 2, 1, 2])); // a 2-token phrase 3 times
        Assert.False(RepetitionMetrics.EndsInHoltzmanLoop([.. Enumerable.Repeat(4, 50)])); // 1 token, 50 times
        Assert.True(RepetitionMetrics.EndsInHoltzmanLoop([.. Enumerable.Repeat(4, 51)])); // 51 times
        Assert.False(RepetitionMetrics.EndsInHoltzmanLoop([1, 2, 3]));
        Assert.False(RepetitionMetrics.EndsInHoltzmanLoop([]));
        Assert.False(RepetitionMetrics.EndsInHoltzmanLoop([7, 1, 2, 3, 1, 2, 3], maxPhrase: 2)); // the phrase is too long to look at
        // The simpler EndsInRepetition disagrees on both of the first two.
        Assert.False(RepetitionMetrics.EndsInRepetition([5, 1, 2, 3, 1, 2, 3]));
        Assert.True(RepetitionMetrics.EndsInRepetition([5, 1, 2, 1, 2, 1, 2]));
        Assert.Equal(50.0, RepetitionMetrics.HoltzmanRepetitionPercent([[1, 2, 3, 1, 2, 3], [1, 2, 1, 2, 1, 2]]).Value);
        Assert.Equal(MetricBreakdown.TooShort, RepetitionMetrics.HoltzmanRepetitionPercent([]).Breakdown);
    }

    [Property(MaxTest = 300)]
    public Property A_phrase_of_distinct_tokens_repeated_at_the_end_is_a_Holtzman_loop() =>
        Prop.ForAll(
            (from prefix in MetricsGen.Tokens(1000, 20)
             from length in Gen.Choose(3, 8)
             from repeats in Gen.Choose(2, 5)
             select (prefix, length, repeats)).ToArbitrary(),
            c =>
            {
                int[] block = [.. Enumerable.Range(2000, c.length)]; // distinct tokens, none in the prefix
                int[] tokens = [.. c.prefix, .. Enumerable.Repeat(block, c.repeats).SelectMany(b => b)];
                int[] once = [.. c.prefix, .. block];
                return RepetitionMetrics.EndsInHoltzmanLoop(tokens) && !RepetitionMetrics.EndsInHoltzmanLoop(once.Append(3000).ToArray());
            });

    [Fact]
    public void Next_token_rep_oracle()
    {
        int[] targets = [1, 2, 3, 1, 2, 4];
        int[] predictions = [9, 1, 1, 3, 2, 2];
        var (rep, wrep) = RepetitionMetrics.NextTokenRepL(targets, predictions, 3);
        Assert.Equal(5.0 / 6, rep.Value, 1e-15); // t = 1 … 5 predict a token among the 3 gold ones before
        Assert.Equal(4.0 / 6, wrep.Value, 1e-15); // all but t = 4, whose prediction is the gold token
        (rep, wrep) = RepetitionMetrics.NextTokenRepL(targets, predictions, 1);
        Assert.Equal(3.0 / 6, rep.Value, 1e-15); // t = 1, 3, 5
        Assert.Equal(3.0 / 6, wrep.Value, 1e-15);
        (rep, _) = RepetitionMetrics.NextTokenRepL(targets, predictions, 3, start: 4);
        Assert.Equal(1.0, rep.Value);
        Assert.Equal(MetricBreakdown.TooShort, RepetitionMetrics.NextTokenRepL(targets, predictions, 3, start: 6).Rep.Breakdown);
        Assert.Throws<ArgumentException>(() => RepetitionMetrics.NextTokenRepL(targets, [1, 2], 3));
    }

    [Property(MaxTest = 100)]
    public Property Periodic_state_sequence_has_determinism_1() =>
        Prop.ForAll(
            (from period in Gen.Choose(2, 6)
             from periods in Gen.Choose(2, 5)
             from states in Gen.Choose(-1000, 1000).ArrayOf(3).ArrayOf(period)
             select (states, periods)).ToArbitrary(),
            c =>
            {
                var block = c.states.Select(s => s.Select(v => v / 100.0).ToArray()).ToArray();
                if (block.Distinct(new StateComparer()).Count() < block.Length)
                {
                    return true; // the block repeats a state: its true period is shorter, covered by another case
                }

                var sequence = Enumerable.Repeat(block, c.periods).SelectMany(b => b).ToList();
                var rqa = RecurrenceQuantification.Compute(RecurrencePlot.Compute(sequence, 1e-9));
                return rqa.Determinism == 1 && rqa.Laminarity == 0;
            });

    [Fact]
    public void Recurrence_oracles()
    {
        double[][] constant = [[1.0], [1.0], [1.0], [1.0]];
        var plot = RecurrencePlot.Compute(constant, 0.0);
        var rqa = RecurrenceQuantification.Compute(plot);

        Assert.Equal(1.0, rqa.RecurrenceRate);
        Assert.Equal(10.0 / 12, rqa.Determinism, 1e-15); // only the corners (0,3), (3,0) are lines of length 1
        Assert.Equal(10.0 / 4, rqa.MeanDiagonalLength, 1e-15); // lines 3, 2, 2, 3
        Assert.Equal(10.0 / 12, rqa.Laminarity, 1e-15); // the identity line splits columns 1 and 2 into runs of 1 and 2

        var none = RecurrenceQuantification.Compute(RecurrencePlot.Compute([[0.0], [1.0], [2.0]], 0.5));
        Assert.Equal(0.0, none.RecurrenceRate);
        Assert.Equal(MetricBreakdown.ZeroInput, none.Breakdown);
    }

    [Fact]
    public void Early_warning_lead_time()
    {
        double[] entropy = [3, 2.5, 0.4, 2.8, 0.5, 0.3, 0.2, 0.1, 0.1];

        Assert.Equal(new EarlyWarningResult(true, 4, 3), EarlyWarning.LeadTime(entropy, 7, threshold: 1.0));
        Assert.Equal(new EarlyWarningResult(false, -1, -1), EarlyWarning.LeadTime(entropy, 3, threshold: 1.0));
        Assert.Equal(new EarlyWarningResult(true, 2, 0), EarlyWarning.LeadTime(entropy, 2, threshold: 1.0));
        Assert.Throws<ArgumentOutOfRangeException>(() => EarlyWarning.LeadTime(entropy, 9, 1.0));
    }

    private sealed class StateComparer : IEqualityComparer<double[]>
    {
        public bool Equals(double[]? x, double[]? y) => x!.SequenceEqual(y!);

        public int GetHashCode(double[] obj) => obj.Sum().GetHashCode();
    }
}

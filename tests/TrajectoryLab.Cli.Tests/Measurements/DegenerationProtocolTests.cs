// degeneration-protocol's metrics and verdicts on hand-made continuations, each with an outcome that can be wrong: a
// continuation that loops on a 4-token phrase has the seq-rep-4, rep/ℓ and repetition % worked out by hand, and a
// distinct-token one has none; the perplexity is exp(−Σ ln p / tokens); the next-token metrics count predictions against
// the gold tokens before them; decoder names parse to their samplers and bad ones are refused; a verdict whose decoder was
// not run says "not measured", and the beam ≥ greedy claim follows the numbers both ways.
// References: Welleck et al. (2019), arXiv:1908.04319, §6; Holtzman et al. (2020), arXiv:1904.09751, Table 1.
using TrajectoryLab.Experiments;
using TrajectoryLab.Experiments.DegenerationProtocol;

namespace TrajectoryLab.Cli.Tests.Measurements;

public sealed class DegenerationProtocolTests
{
    static readonly int[][] Prefixes =
    [
        [0, 100, 101],
        [0, 102, 103],
    ];

    [Fact]
    public void A_four_token_loop_and_a_distinct_continuation_measure_as_worked_out_by_hand()
    {
        int[] loop = [1, 2, 3, 4, 1, 2, 3, 4, 1, 2, 3, 4]; // 9 four-grams, 4 distinct
        int[] distinct = [.. Enumerable.Range(10, 12)];
        var (row, reps) = DegenerationProtocolReport.Measure("d", Prefixes, [loop, distinct], logProb: -24 * Math.Log(2), [4, 16], 1.5);
        Assert.Equal((1 - 4.0 / 9 + 0) / 2, row.SeqRep4, 1e-12);
        Assert.Equal((1 - 4.0 / 12 + 0) / 2, row.SeqRep1, 1e-12);
        Assert.Equal(50.0, row.RepetitionPercent); // the loop ends in a 4-token phrase repeated 3 times
        Assert.Equal(2.0, row.Perplexity, 1e-12); // ln 2 nats per token
        Assert.Equal(16, row.UniqSeq);
        Assert.Equal((8.0 / 12 + 0) / 2, reps[0], 1e-12); // the last 8 tokens of the loop repeat one of the 4 before
        Assert.Equal(reps[1], row.Rep16, 1e-15);
        Assert.True(double.IsNaN(row.Rep128)); // ℓ = 128 was not asked for
    }

    [Fact]
    public void Next_token_metrics_count_predictions_against_the_gold_tokens_before_them()
    {
        int[][] human =
        [
            [5, 6, 5, 6],
            [7, 8, 9, 10],
        ];
        int[][] predictions =
        [
            [100, 5, 5, 6],
            [7, 7, 7, 7],
        ]; // row 0: 100 is in the prefix; row 1: 7 once right, then repeats
        var result = new DegenerationProtocolResult(
            new ModelFacts("m", "p", "llama", 1, 8, 128, "cpu", "float32"),
            ["a", "b"],
            Prefixes,
            new HumanReading(human, -8, predictions),
            []
        );
        var rows = DegenerationProtocolReport.NextToken(result, [128]);
        var r = Assert.Single(rows);
        // Row 0: 100 (in the prefix, wrong), 5 (before: yes, wrong), 5 (yes, right), 6 (yes, right) → rep 4/4, wrep 2/4.
        // Row 1: 7 (not before, right), 7 (yes, wrong), 7 (yes, wrong), 7 (yes, wrong) → rep 3/4, wrep 3/4.
        Assert.Equal((1.0 + 0.75) / 2, r.Rep, 1e-12);
        Assert.Equal((0.5 + 0.75) / 2, r.WrongRep, 1e-12);
        Assert.Equal((0.5 + 0) / 2, r.HumanRep, 1e-12); // row 0's last two gold tokens repeat
        Assert.Equal(3.0 / 8, r.Accuracy, 1e-12);
        Assert.Equal(4, r.Uniq); // 100, 5, 6, 7
        Assert.Equal(6, r.HumanUniq);
    }

    [Theory]
    [InlineData("greedy", 0, 0.0, 0, 1.0)]
    [InlineData("beam-10", 10, double.NaN, 0, 1.0)]
    [InlineData("top-k-50", 0, 1.0, 50, 1.0)]
    [InlineData("top-p-0.95", 0, 1.0, 0, 0.95)]
    [InlineData("sampling-t-0.7", 0, 0.7, 0, 1.0)]
    public void Decoder_names_parse_to_their_samplers(string name, int beams, double temperature, int topK, double topP)
    {
        var d = DegenerationProtocolOptions.Parse(name)!;
        Assert.Equal(beams, d.Beams);
        if (beams > 0)
        {
            Assert.Null(d.Sampler);
            return;
        }
        Assert.Equal(temperature, d.Sampler!.Temperature);
        Assert.Equal(topK, d.Sampler.TopK);
        Assert.Equal(topP, d.Sampler.TopP);
    }

    [Theory]
    [InlineData("beam-0")]
    [InlineData("top-p-1.5")]
    [InlineData("sampling-t-0")]
    [InlineData("top-k-x")]
    [InlineData("nucleus")]
    public void Bad_decoder_names_are_refused(string name)
    {
        Assert.Null(DegenerationProtocolOptions.Parse(name));
        var o = new DegenerationProtocolOptions { Decoders = ["greedy", name] };
        Assert.Equal("decoders", o.Check(new ProjectPaths(Path.GetTempPath(), Path.GetTempPath(), Path.GetTempPath()))?.Key);
    }

    static DecoderRow Row(string name, double seqRep4, double perplexity, double loops = 0) =>
        new(name, seqRep4, 0, 0, 0, 0, 1, loops, perplexity, 0);

    [Fact]
    public void Loop_and_perplexity_verdicts_need_their_margins()
    {
        NextTokenRow[] token = [new(128, 0.5, 0.3, 0.4, 10, 20, 0.3)];
        string Verdict(DecoderRow[] rows, string claim) =>
            DegenerationProtocolReport.Verdicts(rows, token).Single(r => r[0].StartsWith(claim))[3];
        DecoderRow[] Loops(double beam) => [Row("greedy", 0.4, 5, 40), Row("beam-10", 0.5, 4, beam), Row("human", 0.01, 50)];
        const string loops = "Repetition %: beam (b = 16) below greedy";
        Assert.Equal("reproduced", Verdict(Loops(30), loops));
        Assert.StartsWith("not distinguished", Verdict(Loops(36), loops));
        Assert.StartsWith("not reproduced", Verdict(Loops(40), loops));
        DecoderRow[] Pure(double perplexity) => [Row("sampling-t-1", 0, perplexity), Row("human", 0.01, 50)];
        const string pure = "Perplexity: pure sampling above human";
        Assert.Equal("reproduced", Verdict(Pure(56), pure));
        Assert.StartsWith("not reproduced: equal", Verdict(Pure(54), pure));
        Assert.StartsWith("not reproduced: below", Verdict(Pure(44), pure));
    }

    [Fact]
    public void A_claim_follows_the_numbers_and_a_missing_decoder_is_not_measured()
    {
        NextTokenRow[] token = [new(128, 0.5, 0.3, 0.4, 10, 20, 0.3)];
        string Verdict(DecoderRow[] rows, string claim) =>
            DegenerationProtocolReport.Verdicts(rows, token).Single(r => r[0].StartsWith(claim))[3];
        const string beamClaim = "Repetition: beam ≥ greedy";
        Assert.Equal("reproduced", Verdict([Row("greedy", 0.4, 5), Row("beam-10", 0.5, 4), Row("human", 0.01, 50)], beamClaim));
        Assert.StartsWith("not reproduced", Verdict([Row("greedy", 0.4, 5), Row("beam-10", 0.3, 4), Row("human", 0.01, 50)], beamClaim));
        Assert.Equal("not measured", Verdict([Row("greedy", 0.4, 5), Row("human", 0.01, 50)], beamClaim));
        Assert.Equal("reproduced", Verdict([Row("greedy", 0.4, 5), Row("human", 0.01, 50)], "Next-token predictions repeat more"));
    }
}

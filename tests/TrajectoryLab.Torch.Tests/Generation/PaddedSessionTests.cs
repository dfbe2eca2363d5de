// Ragged prompts through the public session (docs/padding.md): prompts of lengths 3, 7 and 5 are left-padded into one
// batch, and each row's tokens (greedy, and sampled with its own stream and a repetition penalty) and logits equal those
// of the one-row session of its prompt, in a Llama, a GPT-2 (learned positions), a Mamba, a Gemma 2 (windows, soft-caps)
// and a Phi-3 (window) model; Tokens, RowLength, LeftPad and Length report it. Positions are each row's own: captured
// activations keep the batch's columns (pad entries 0), an intervention at position p changes row b at column p + pad_b
// (in a different step for rows of unequal padding), a head intervention no prefill could reach is refused naming the
// row, and a non-finite row is reported at its own position without reaching the other rows.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tests.Models;
using Xunit.Abstractions;

namespace TrajectoryLab.Torch.Tests.Generation;

public sealed class PaddedSessionTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;
    private static readonly int[] Lengths = [3, 7, 5];

    private static LanguageModel Create(string config) => config switch
    {
        "gpt2" => TinyLms.Create("gpt2"),
        "mamba-tied" => new(TinyMambas.Create(config)),
        "gemma2-default-layers" => new(TinyGemmas.Create(config)),
        "phi3-window-head-dim" => new(TinyPhi3s.Create(config)),
        _ => TinyLms.Create(config),
    };

    private static int[][] Prompts(ModelSpec spec, int seed)
    {
        var random = new Random(seed);
        return [.. Lengths.Select(n => Enumerable.Range(0, n).Select(_ => random.Next(spec.VocabSize)).ToArray())];
    }

    [Theory]
    [InlineData("gqa-untied", true)]
    [InlineData("gqa-untied", false)]
    [InlineData("gpt2", true)]
    [InlineData("mamba-tied", true)]
    [InlineData("mamba-tied", false)]
    [InlineData("gemma2-default-layers", true)]
    [InlineData("phi3-window-head-dim", true)]
    public void EachRowOfARaggedBatchEqualsItsPromptAlone(string config, bool greedy)
    {
        using var model = Create(config);
        var prompts = Prompts(model.Spec, seed: 4);
        var options = new GenerationOptions
        {
            Sampler = greedy ? SamplerOptions.Greedy : new SamplerOptions { Temperature = 1.3, TopP = 0.95, RepetitionPenalty = 1.3 },
            Seed = 11,
            StreamIds = [4, 5, 6],
            Outputs = StepOutputs.Logits,
        };
        const int steps = 10;
        var batched = new List<StepResult>();
        int[][] tokens;
        int[] lengths, pads;
        using (var session = model.StartSession(options with { MaxNewTokens = steps }))
        {
            batched.Add(session.Prefill(prompts));
            while (batched.Count < steps) batched.Add(session.Step());
            Assert.Equal(7 + steps, session.Length);
            tokens = [.. prompts.Select((_, b) => session.Tokens(b))];
            lengths = [.. prompts.Select((_, b) => session.RowLength(b))];
            pads = [.. prompts.Select((_, b) => session.LeftPad(b))];
        }
        var worst = 0.0;
        for (var b = 0; b < prompts.Length; b++)
        {
            var alone = TinyLms.Run(model, options with { StreamIds = [4 + b] }, [prompts[b]], steps);
            var context = TinyLms.Contexts([prompts[b]], alone)[0];
            Assert.Equal(context, tokens[b]);
            Assert.Equal(context.Length, lengths[b]);
            Assert.Equal(7 - prompts[b].Length, pads[b]);
            for (var s = 0; s < steps; s++)
            {
                Assert.Equal(alone[s].Position + pads[b], batched[s].Position);
                worst = Math.Max(worst, FamilyParity.AbsoluteError(
                    [.. batched[s].Logits![b].Select(x => (double)x)], [.. alone[s].Logits![0].Select(x => (double)x)]));
            }
        }
        output.WriteLine(FormattableString.Invariant($"{config}: max |padded − alone| logits over {steps} steps = {worst:E2}"));
        Assert.True(worst < Tolerance);
    }

    [Theory]
    [InlineData("gqa-untied")]
    [InlineData("mamba-tied")]
    public void CapturesKeepTheColumnsWithZerosAtPadColumns(string config)
    {
        using var model = Create(config);
        var prompts = Prompts(model.Spec, seed: 9);
        var layer0 = model.Spec.ModelType == "mamba" ? HookNames.MambaSsmState(0) : HookNames.AttnPattern(0);
        string[] hooks = [HookNames.ResidPost(0), layer0, HookNames.Logits];
        var options = new GenerationOptions { Capture = hooks, PromptLogits = true };
        var batched = TinyLms.Run(model, options, prompts, steps: 3);
        for (var b = 0; b < prompts.Length; b++)
        {
            var pad = 7 - prompts[b].Length;
            var alone = TinyLms.Run(model, options, [prompts[b]], steps: 3);
            foreach (var hook in hooks)
            {
                var (padded, single) = (batched[0].Activations[hook], alone[0].Activations[hook]);
                var pattern = hook == layer0 && model.Spec.ModelType != "mamba";
                int[] shape = pattern ? [single.Shape[0], 7, 7] : [7, .. single.Shape[1..]];
                Assert.Equal(shape, padded.Shape);
                Assert.Equal(Unpad(padded, b, pad, pattern), [.. single.Rows[0].Select(x => (double)x)], new Close());
                Assert.All(Pads(padded, b, pad, pattern), x => Assert.Equal(0, x));
                // Decoding steps: one column; an attention pattern's keys still count columns.
                var (step, aloneStep) = (batched[2].Activations[hook], alone[2].Activations[hook]);
                Assert.Equal(Unpad(step, b, pad, pattern, queryPad: false), [.. aloneStep.Rows[0].Select(x => (double)x)], new Close());
            }
        }
    }

    [Theory]
    [InlineData("gqa-untied")]
    [InlineData("gpt2")]
    [InlineData("mamba-tied")]
    public void AnInterventionAtAPositionChangesEachRowAtItsOwnPosition(string config)
    {
        using var model = Create(config);
        var prompts = Prompts(model.Spec, seed: 2);
        var random = new Random(3);
        float[] Vector() => [.. Enumerable.Range(0, model.Spec.HiddenSize).Select(_ => (float)random.NextDouble())];
        // Position 1 lies in every prompt; position 6 is the last prompt token of row 1 and a generated token of rows 0
        // (step 4) and 2 (step 2); the third fires at every pass.
        var options = new GenerationOptions
        {
            Outputs = StepOutputs.Logits,
            Interventions =
            [
                Intervention.Add(HookNames.ResidPre(1), Vector()) with { Position = 1 },
                Intervention.Replace(HookNames.ResidPost(0), Vector()) with { Position = 6 },
                Intervention.Scale(HookNames.Embed, 1.5),
            ],
        };
        var batched = TinyLms.Run(model, options, prompts, steps: 8);
        var plain = TinyLms.Run(model, new GenerationOptions { Outputs = StepOutputs.Logits }, prompts, steps: 8);
        for (var b = 0; b < prompts.Length; b++)
        {
            var alone = TinyLms.Run(model, options, [prompts[b]], steps: 8);
            for (var s = 0; s < 8; s++)
            {
                Assert.Equal(alone[s].Tokens[0], batched[s].Tokens[b]);
                Assert.True(FamilyParity.AbsoluteError(
                    [.. batched[s].Logits![b].Select(x => (double)x)], [.. alone[s].Logits![0].Select(x => (double)x)]) < Tolerance);
            }
            Assert.NotEqual(plain[0].Logits![b], batched[0].Logits![b]); // the interventions did change the row
        }
    }

    [Fact]
    public void AHeadInterventionNoPrefillReachesIsRefusedNamingTheRow()
    {
        using var model = Create("gqa-untied");
        var prompts = Prompts(model.Spec, seed: 1);
        var logits = Intervention.Add(HookNames.Logits, new float[model.Spec.VocabSize]) with { Position = 3 };
        using (var session = model.StartSession(new GenerationOptions { Interventions = [logits] }))
        {
            var e = Assert.Throws<ArgumentException>(() => session.Prefill(prompts));
            Assert.Contains("row 1", e.Message);
            Assert.Contains("PromptLogits", e.Message);
        }
        // Row 0's last prompt position is 2, so position 3 is its first generated token: reachable.
        using (var session = model.StartSession(new GenerationOptions { Interventions = [logits with { Rows = [0] }] }))
            session.Prefill(prompts);
    }

    [Fact]
    public void ANonFiniteRowIsReportedAtItsOwnPositionAndLeavesTheOtherRows()
    {
        using var model = Create("gqa-untied");
        var prompts = Prompts(model.Spec, seed: 1);
        var nan = Enumerable.Repeat(float.NaN, model.Spec.HiddenSize).ToArray();
        // Row 2 (2 pad columns) is poisoned at its position 1; the first non-finite row is reported, so rows 0 and 1 are finite.
        var poison = Intervention.Replace(HookNames.ResidPost(0), nan) with { Rows = [2], Position = 1 };
        using var session = model.StartSession(new GenerationOptions { Interventions = [poison] });
        var e = Assert.Throws<NonFiniteValueException>(() => session.Prefill(prompts));
        Assert.Equal(2, e.Row);
        Assert.Equal(4, e.Position); // row 2's last prompt position, column 6
        Assert.Equal(HookNames.ResidPost(0), e.Site);
    }

    /// <summary>Row <paramref name="b"/> of a capture without its pad columns, as doubles.</summary>
    private static double[] Unpad(Activation a, int b, int pad, bool pattern, bool queryPad = true)
    {
        var row = a.Rows[b];
        if (!pattern)
        {
            var per = row.Length / a.Shape[0];
            return [.. row.Skip(queryPad ? pad * per : 0).Select(x => (double)x)];
        }
        var (heads, queries, keys) = (a.Shape[0], a.Shape[1], a.Shape[2]);
        var values = new List<double>();
        for (var h = 0; h < heads; h++)
        for (var q = queryPad ? pad : 0; q < queries; q++)
        for (var k = pad; k < keys; k++)
            values.Add(row[(h * queries + q) * keys + k]);
        return [.. values];
    }

    /// <summary>Row <paramref name="b"/>'s entries at its pad columns (query axis; for a pattern the pad keys too).</summary>
    private static IEnumerable<float> Pads(Activation a, int b, int pad, bool pattern)
    {
        var row = a.Rows[b];
        if (!pattern) return row.Take(pad * (row.Length / a.Shape[0]));
        var (heads, queries, keys) = (a.Shape[0], a.Shape[1], a.Shape[2]);
        return Enumerable.Range(0, heads).SelectMany(h => Enumerable.Range(0, queries).SelectMany(q =>
            Enumerable.Range(0, keys).Where(k => q < pad || k < pad).Select(k => row[(h * queries + q) * keys + k])));
    }

    private sealed class Close : IEqualityComparer<double>
    {
        public bool Equals(double x, double y) => Math.Abs(x - y) < Tolerance;

        public int GetHashCode(double obj) => 0;
    }
}

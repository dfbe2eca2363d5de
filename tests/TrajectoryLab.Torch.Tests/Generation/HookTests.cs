// Hooks at every generation step: captures equal a full recomputation at each position; an intervention changes the
// logits exactly as a cache-free forward with the same change (a hand-written hook) does, from its step on and on its
// rows only; scale by 1 and add 0 are bit-exact no-ops; captures see the changed activation; hooks leave with the session.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Generation;

public sealed class HookTests
{
    private const int Steps = 8;

    private static float[] RandomVector(int length, int seed)
    {
        var random = new Random(seed);
        return [.. Enumerable.Range(0, length).Select(_ => (float)(random.NextDouble() * 2 - 1))];
    }

    [Theory]
    [InlineData("gqa-untied")]
    [InlineData("gpt2")]
    public void CapturesAtEveryStepEqualAFullRecomputation(string config)
    {
        using var model = TinyLms.Create(config);
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 2, length: 4, seed: 1);
        string[] hooks = [HookNames.ResidPost(1), HookNames.MlpOut(0), HookNames.FinalNormalized];
        var results = TinyLms.Run(model, new GenerationOptions { Capture = hooks }, prompts, Steps);
        var contexts = TinyLms.Contexts(prompts, results);

        // The recomputation: one prefill over every position the steps read, capturing all of them.
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 1, Capture = hooks, PromptLogits = true });
        var full = session.Prefill([.. contexts.Select(c => c[..^1])]).Activations;
        var d = model.Spec.HiddenSize;
        foreach (var hook in hooks)
        {
            Assert.Equal([contexts[0].Length - 1, d], full[hook].Shape);
            foreach (var r in results)
            {
                var captured = r.Activations[hook];
                var count = r.Step == 0 && !HookNames.IsHeadHook(hook) ? prompts[0].Length : 1; // the prefill's head runs at its last position
                Assert.Equal([count, d], captured.Shape);
                var first = r.Position - count + 1;
                for (var b = 0; b < 2; b++)
                {
                    var expected = full[hook].Rows[b].AsSpan(first * d, count * d).ToArray().Select(x => (double)x).ToArray();
                    Assert.True(TinyLms.RelativeError(captured.Rows[b], expected) < 1e-5, $"{hook} step {r.Step}");
                }
            }
        }
    }

    [Fact]
    public void ThePrefillRunsTheHeadAtTheLastPromptPositionUnlessPromptLogitsIsSet()
    {
        using var model = TinyLms.Create("gqa-untied");
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 2, length: 5, seed: 3);
        string[] hooks = [HookNames.FinalNormalized, HookNames.Logits];
        var last = TinyLms.Run(model, new GenerationOptions { Capture = hooks, Outputs = StepOutputs.Logits }, prompts, steps: 2);
        var all = TinyLms.Run(model, new GenerationOptions { Capture = hooks, Outputs = StepOutputs.Logits, PromptLogits = true }, prompts, steps: 2);
        foreach (var hook in hooks)
        {
            var width = all[0].Activations[hook].Shape[1];
            Assert.Equal([1, width], last[0].Activations[hook].Shape);
            Assert.Equal([5, width], all[0].Activations[hook].Shape);
            for (var b = 0; b < 2; b++)
            {
                var expected = all[0].Activations[hook].Rows[b].AsSpan(4 * width, width).ToArray().Select(x => (double)x).ToArray();
                Assert.True(TinyLms.RelativeError(last[0].Activations[hook].Rows[b], expected) < 1e-5, hook);
            }
        }
        for (var s = 0; s < 2; s++)
        {
            Assert.Equal(all[s].Tokens, last[s].Tokens);
            for (var b = 0; b < 2; b++)
                Assert.True(TinyLms.RelativeError(last[s].Logits![b], [.. all[s].Logits![b].Select(x => (double)x)]) < 1e-5);
        }

        // An intervention at the head before the last prompt position could never fire: refused, naming the way out.
        var early = new GenerationOptions { Interventions = [Intervention.Add(HookNames.Logits, new float[model.Spec.VocabSize]) with { Position = 2 }] };
        using var session = model.StartSession(early);
        var e = Assert.Throws<ArgumentException>(() => session.Prefill(prompts));
        Assert.Contains("PromptLogits", e.Message);
    }

    [Fact]
    public void AttentionPatternsAreCapturedPerStepWithTheGrowingKeyAxis()
    {
        using var model = TinyLms.Create("mqa");
        var results = TinyLms.Run(model, new GenerationOptions { Capture = [HookNames.AttnPattern(1)] }, [[1, 2, 3]], steps: 4);
        for (var s = 1; s < 4; s++)
        {
            var pattern = results[s].Activations[HookNames.AttnPattern(1)];
            Assert.Equal([model.Spec.NumHeads, 1, 3 + s], pattern.Shape);
            for (var h = 0; h < model.Spec.NumHeads; h++)
                Assert.Equal(1.0, pattern.Rows[0].AsSpan(h * (3 + s), 3 + s).ToArray().Sum(), 5);
        }
    }

    public static TheoryData<string, string, int?, int?, int[]?> Placements => new()
    {
        { "qwen2-qkv-bias", HookNames.ResidPost(0), 3, null, [1] },        // one step, its current position, one row
        { "qwen2-qkv-bias", HookNames.ResidMid(1), null, 1, null },        // a prompt position, in the prefill, all rows
        { "qwen2-qkv-bias", HookNames.Embed, 0, 2, [0] },                  // the prefill, an earlier prompt position
        { "qwen2-qkv-bias", HookNames.Ln2Normalized(1), 5, null, [0, 1] },
        { "gpt2", HookNames.ResidPre(1), 4, null, [0] },
    };

    [Theory]
    [MemberData(nameof(Placements))]
    public void AddingAVectorEqualsAFullForwardWithTheSameChange(string config, string hook, int? step, int? position, int[]? rows)
    {
        using var model = TinyLms.Create(config);
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 2, length: 4, seed: 2);
        var v = RandomVector(model.Spec.HiddenSize, seed: 3);
        var add = Intervention.Add(hook, v) with { Step = step, Position = position, Rows = rows };
        var options = new GenerationOptions { Outputs = StepOutputs.Logits };
        var baseline = TinyLms.Run(model, options, prompts, Steps);
        var changed = TinyLms.Run(model, options with { Interventions = [add] }, prompts, Steps);

        var at = position ?? prompts[0].Length - 1 + step!.Value; // the position the intervention changes
        var full = FullLogitsWithAdded(model.Model, [.. TinyLms.Contexts(prompts, changed).Select(c => c[..^1])], hook, at, v, rows ?? [0, 1]);
        for (var s = 0; s < Steps; s++)
            for (var b = 0; b < 2; b++)
            {
                var touched = (rows ?? [0, 1]).Contains(b) && changed[s].Position >= at;
                if (!touched) Assert.Equal(baseline[s].Logits![b], changed[s].Logits![b]); // bit-exact
                else
                {
                    Assert.True(TinyLms.RelativeError(changed[s].Logits![b], full[b][changed[s].Position]) < 1e-5, $"step {s} row {b}");
                    if (changed[s].Position == at) Assert.NotEqual(baseline[s].Logits![b], changed[s].Logits![b]);
                }
            }
    }

    /// <summary>Logits of a cache-free forward in which a hand-written hook adds <paramref name="v"/> at one position of
    /// <paramref name="rows"/>, [batch][pos][d_vocab].</summary>
    private static double[][][] FullLogitsWithAdded(CausalLm model, int[][] tokens, string hook, int position, float[] v, int[] rows)
    {
        var handle = model.Hook(hook).register_forward_hook((_, _, output) =>
        {
            var changed = output.clone(); // [batch, pos, d_model]
            foreach (var row in rows) changed[row, position].add_(tensor(v));
            return changed;
        });
        try
        {
            return TinyLms.FullLogits(model, tokens);
        }
        finally
        {
            handle.remove();
        }
    }

    [Fact]
    public void ScaleByOneAndAddZeroAreBitExactNoOps()
    {
        using var model = TinyLms.Create("llama-attention-bias");
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 3, length: 3, seed: 4);
        var options = new GenerationOptions { Outputs = StepOutputs.Logits, Sampler = new Sampling.SamplerOptions { TopP = 0.9 } };
        var baseline = TinyLms.Run(model, options, prompts, Steps);
        var zero = new float[model.Spec.HiddenSize];
        var noOps = options with
        {
            Interventions =
            [
                Intervention.Scale(HookNames.ResidPost(0), 1), Intervention.Add(HookNames.ResidPre(1), zero),
                Intervention.Scale(HookNames.Embed, 1) with { Position = 1 }, Intervention.Add(HookNames.Logits, new float[model.Spec.VocabSize]),
            ],
        };
        var changed = TinyLms.Run(model, noOps, prompts, Steps);
        for (var s = 0; s < Steps; s++)
        {
            Assert.Equal(baseline[s].Tokens, changed[s].Tokens);
            for (var b = 0; b < 3; b++) Assert.Equal(baseline[s].Logits![b], changed[s].Logits![b]);
        }
    }

    [Fact]
    public void CapturesSeeTheChangedActivationAndPerRowVectorsGoToTheirRows()
    {
        using var model = TinyLms.Create();
        var hook = HookNames.ResidPost(0);
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 3, length: 2, seed: 5);
        var options = new GenerationOptions { Capture = [hook] };
        var baseline = TinyLms.Run(model, options, prompts, steps: 2);
        float[][] vectors = [RandomVector(model.Spec.HiddenSize, 6), RandomVector(model.Spec.HiddenSize, 7)];
        var changed = TinyLms.Run(model, options with { Interventions = [Intervention.Add(hook, vectors) with { Rows = [2, 0], Step = 1 }] }, prompts, steps: 2);
        var before = baseline[1].Activations[hook].Rows;
        var after = changed[1].Activations[hook].Rows;
        Assert.Equal(before[0].Zip(vectors[1], (x, v) => x + v), after[0]);
        Assert.Equal(before[1], after[1]);
        Assert.Equal(before[2].Zip(vectors[0], (x, v) => x + v), after[2]);
    }

    [Fact]
    public void ReplacingTheLogitsAtOneStepDecidesThatStepsToken()
    {
        using var model = TinyLms.Create();
        var target = new float[model.Spec.VocabSize];
        target[42] = 100;
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 4, Outputs = StepOutputs.Logits });
        session.Prefill([[1, 2], [3, 4]]);
        session.AddIntervention(Intervention.Replace(HookNames.Logits, target) with { Step = 2, Rows = [1] });
        var first = session.Step();
        var second = session.Step();
        Assert.NotEqual(target, first.Logits![1]);
        Assert.Equal(target, second.Logits![1]);
        Assert.Equal(42, second.Tokens[1]);
        var third = session.Step();
        Assert.NotEqual(target, third.Logits![1]);
    }

    [Fact]
    public void BadInterventionsAreRejectedAndHooksLeaveWithTheSession()
    {
        using var model = TinyLms.Create();
        using (var session = model.StartSession(new GenerationOptions { Capture = [HookNames.AttnPattern(0)] }))
        {
            session.Prefill([[1, 2]]);
            Assert.Throws<ArgumentException>(() => session.AddIntervention(Intervention.Scale("blocks.9.hook_resid_post", 2)));
            Assert.Throws<ArgumentException>(() => session.AddIntervention(Intervention.Scale(HookNames.AttnPattern(0), 2)));
            Assert.Throws<ArgumentException>(() => session.AddIntervention(Intervention.Scale(HookNames.Embed, 2) with { Rows = [1] }));
            session.AddIntervention(Intervention.Add(HookNames.Embed, new float[3]));
            Assert.Contains("values per position", Assert.Throws<ArgumentException>(() => session.Step()).Message);
            Assert.Contains(model.HookNames, name => model.Model.Hook(name).HasHooks);
        }
        Assert.DoesNotContain(model.HookNames, name => model.Model.Hook(name).HasHooks);
        using (var session = model.StartSession(new GenerationOptions { Capture = [HookNames.ResidPost(0), "blocks.0.hook_nothing"] }))
            Assert.Contains("hook_nothing", Assert.Throws<ArgumentException>(() => session.Prefill([[1, 2]])).Message);
        Assert.DoesNotContain(model.HookNames, name => model.Model.Hook(name).HasHooks);
    }
}

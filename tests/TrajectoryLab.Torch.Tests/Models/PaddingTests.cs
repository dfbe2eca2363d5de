// Left padding at the model level (docs/padding.md), for every tiny config of every family: prompts of lengths 3, 7 and 5
// share one left-padded state (random pad tokens, sliding windows of 1–4 shorter than the longest prompt where the
// family has them), and every row's logits at its real positions, then over 8 one-token steps and a 3-token chunk, equal
// the same prompt run alone within 1e-5 absolute, through fused SDPA and through the explicit path a hooked
// hook_pattern takes; no hook point of the padded pass holds a non-finite value, pad columns included. Mamba: a pass of
// pad columns alone leaves the recurrent state exactly empty. An unpadded state (pads all 0) computes bit for bit as one
// made without pads.
using TrajectoryLab.Torch.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class PaddingTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;
    private static readonly int[] Lengths = [3, 7, 5];
    private static readonly int[] Chunks = [1, 1, 1, 1, 3, 1, 1, 1, 1]; // 8 one-token steps and a chunk: 11 tokens

    /// <summary>Every tiny config of the ten families, by family: llama (mistral, qwen2), gpt2, gpt_neox, phi3, gemma
    /// (gemma2, gemma3_text), qwen3, olmo2, mamba.</summary>
    private static readonly IReadOnlyDictionary<string, Func<DecoderModel>> Configs = Build();

    private static Dictionary<string, Func<DecoderModel>> Build()
    {
        var configs = new Dictionary<string, Func<DecoderModel>>();
        foreach (var name in TinyLlamas.Specs.Keys) configs[name] = () => TinyLlamas.Create(name);
        // Room for 7 + 11 learned positions.
        foreach (var (name, spec) in TinyGpt2s.Specs)
            configs[name] = () => FamilyParity.RandomModel(spec with { MaxPositionEmbeddings = 24 }, 7, ScalarType.Float32);
        foreach (var name in TinyGptNeoXs.Specs.Keys) configs[name] = () => TinyGptNeoXs.Create(name);
        foreach (var name in TinyPhi3s.Specs.Keys) configs[name] = () => TinyPhi3s.Create(name);
        foreach (var name in TinyGemmas.Configs.Keys) configs[name] = () => TinyGemmas.Create(name);
        foreach (var name in TinyQwen3s.All.Keys) configs[name] = () => TinyQwen3s.Create(name);
        foreach (var name in TinyMambas.Specs.Keys) configs[name] = () => TinyMambas.Create(name);
        return configs;
    }

    public static TheoryData<string> Names => new(Configs.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void EveryRowOfAPaddedBatchEqualsItsPromptAlone(string config)
    {
        using var model = Configs[config]();
        var (prompts, continuation, filler) = Inputs(model.Spec, seed: 5);
        var alone = prompts.Select((p, b) => Alone(model, p, continuation[b])).ToArray();

        var fused = Padded(model, prompts, continuation, filler);
        var worst = MaxDifference(fused, alone);

        // Every hook point hooked: the explicit attention path (hook_pattern), and every activation checked for NaN/∞.
        var nonFinite = new List<string>();
        var handles = model.named_modules().Where(m => m.module is HookPoint).Select(m =>
            ((HookPoint)m.module).register_forward_hook((_, _, result) =>
            {
                if (!result.isfinite().all().item<bool>()) nonFinite.Add(m.name);
                return result;
            })).ToList();
        var explicitPath = Padded(model, prompts, continuation, filler);
        foreach (var h in handles) h.remove();
        Assert.Empty(nonFinite);
        worst = Math.Max(worst, MaxDifference(explicitPath, alone));

        output.WriteLine(FormattableString.Invariant($"{model.Spec.ModelType} {config}: max |padded − alone| = {worst:E2}"));
        Assert.True(worst < Tolerance, FormattableString.Invariant($"{config}: max |padded − alone| = {worst:E2}"));
    }

    [Theory]
    [MemberData(nameof(TinyMambas.Names), MemberType = typeof(TinyMambas))]
    public void PadColumnsLeaveTheMambaStateExactlyEmpty(string config)
    {
        using var model = TinyMambas.Create(config);
        using var state = model.NewState(2, 8, [3, 0]);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        // Row 0 is all pad in this pass; its state must be exactly that of no pass at all (zeros).
        model.call(TinyLlamas.AsTensor([[5, 9, 2], [4, 1, 7]]), state, 0);
        for (var l = 0; l < model.Spec.NumLayers; l++)
        {
            var (window, ssm) = state.Layer<MambaState>(l).Read(3);
            if (model.Spec.Block.Mamba!.ConvKernel > 1) // kernel 1 keeps no window
            {
                Assert.Equal(0, window[0].abs().max().item<float>());
                Assert.True(window[1].abs().max().item<float>() > 0);
            }
            Assert.Equal(0, ssm[0].abs().max().item<float>());
            Assert.True(ssm[1].abs().max().item<float>() > 0);
        }
    }

    [Theory]
    [InlineData("gqa-untied")]
    [InlineData("gpt2-tied")]
    [InlineData("mamba-tied")]
    public void ZeroPadsComputeBitForBitAsNoPads(string config)
    {
        using var model = Configs[config]();
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 6, seed: 3);
        double[] Run(long[]? pads)
        {
            using var state = model.NewState(2, 8, pads);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var prefill = TinyLlamas.ToDoubles(model.call(TinyLlamas.AsTensor([.. tokens.Select(t => t[..5])]), state, 0));
            return [.. prefill, .. TinyLlamas.ToDoubles(model.call(TinyLlamas.AsTensor([.. tokens.Select(t => t[5..])]), state, 5))];
        }
        Assert.Equal(Run(null), Run([0, 0]));
    }

    [Fact]
    public void PadsThatDoNotFitAreRefused()
    {
        using var model = TinyLlamas.Create("gqa-untied");
        Assert.Throws<ArgumentOutOfRangeException>(() => model.NewState(2, 8, [1]));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.NewState(2, 8, [-1, 0]));
        Assert.Throws<ArgumentOutOfRangeException>(() => model.NewState(2, 8, [8, 0]));
    }

    /// <summary>Prompts of <see cref="Lengths"/>, 11 continuation tokens per row, and random pad tokens (so that a pad that
    /// leaks into a real row changes it).</summary>
    internal static (int[][] Prompts, int[][] Continuation, int[][] Filler) Inputs(ModelSpec spec, int seed)
    {
        var random = new Random(seed);
        int[] Draw(int n) => [.. Enumerable.Range(0, n).Select(_ => random.Next(spec.VocabSize))];
        var max = Lengths.Max();
        return ([.. Lengths.Select(Draw)], [.. Lengths.Select(_ => Draw(Chunks.Sum()))], [.. Lengths.Select(l => Draw(max - l))]);
    }

    /// <summary>One prompt alone through an unpadded state: its logits at every prompt position, then at every continuation
    /// token fed in <see cref="Chunks"/>, [P + 11][d_vocab].</summary>
    private static double[][] Alone(CausalLm model, int[] prompt, int[] continuation)
    {
        using var state = model.NewState(1, prompt.Length + continuation.Length);
        var rows = new List<double[]>();
        var start = 0;
        foreach (var input in new[] { prompt }.Concat(Pieces(continuation)))
        {
            rows.AddRange(Forward(model, [input], state, start)[0]);
            start += input.Length;
        }
        return [.. rows];
    }

    /// <summary>The prompts left-padded with <paramref name="filler"/> through one state, then the continuations:
    /// each row's logits at its real positions only, [batch][P_b + 11][d_vocab].</summary>
    private static double[][][] Padded(CausalLm model, int[][] prompts, int[][] continuation, int[][] filler)
    {
        var max = prompts.Max(p => p.Length);
        var pads = prompts.Select(p => (long)(max - p.Length)).ToArray();
        using var state = model.NewState(prompts.Length, max + continuation[0].Length, pads);
        var rows = prompts.Select(_ => new List<double[]>()).ToArray();
        var prefill = Forward(model, [.. prompts.Select((p, b) => filler[b].Concat(p).ToArray())], state, 0);
        for (var b = 0; b < prompts.Length; b++) rows[b].AddRange(prefill[b].Skip((int)pads[b]));
        var start = max;
        var offset = 0;
        foreach (var count in Chunks)
        {
            var step = Forward(model, [.. continuation.Select(c => c[offset..(offset + count)])], state, start);
            for (var b = 0; b < prompts.Length; b++) rows[b].AddRange(step[b]);
            (start, offset) = (start + count, offset + count);
        }
        return [.. rows.Select(r => r.ToArray())];
    }

    private static IEnumerable<int[]> Pieces(int[] continuation)
    {
        var offset = 0;
        foreach (var count in Chunks)
        {
            yield return continuation[offset..(offset + count)];
            offset += count;
        }
    }

    /// <summary>One pass in its own dispose scope: [batch][pos][d_vocab], every logit checked finite.</summary>
    private static double[][][] Forward(CausalLm model, int[][] tokens, ModelState state, long start)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var logits = model.call(TinyLlamas.AsTensor(tokens), state, start); // [batch, pos, d_vocab]
        Assert.True(logits.isfinite().all().item<bool>());
        var flat = TinyLlamas.ToDoubles(logits);
        int pos = tokens[0].Length, vocab = (int)logits.shape[2];
        return [.. Enumerable.Range(0, tokens.Length).Select(b =>
            Enumerable.Range(0, pos).Select(p => flat.AsSpan((b * pos + p) * vocab, vocab).ToArray()).ToArray())];
    }

    private static double MaxDifference(double[][][] padded, double[][][] alone)
    {
        var worst = 0.0;
        for (var b = 0; b < alone.Length; b++)
        {
            Assert.Equal(alone[b].Length, padded[b].Length);
            for (var p = 0; p < alone[b].Length; p++)
                worst = Math.Max(worst, FamilyParity.AbsoluteError(padded[b][p], alone[b][p]));
        }
        return worst;
    }
}

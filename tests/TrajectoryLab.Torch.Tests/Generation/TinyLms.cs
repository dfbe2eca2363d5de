// Tiny language models for generation tests (TinyLlamas' random models behind the public facade) and helpers to run
// a session to the end and to recompute what it computed with one cache-free forward pass.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Models;

namespace TrajectoryLab.Torch.Tests.Generation;

internal static class TinyLms
{
    /// <summary>TinyLlamas' <paramref name="config"/> model, every weight random; or, for <c>gpt2</c>, a random GPT-2 of 32 positions.</summary>
    public static LanguageModel Create(string config = "gqa-untied", long seed = 7) => config == "gpt2"
        ? LanguageModel.Random(ModelSpec.Gpt2(vocabSize: 61, nEmbd: 32, nLayer: 2, nHead: 4, nPositions: 32), seed, std: 0.3)
        : new(TinyLlamas.Create(config, seed));

    /// <summary>Prefill plus <paramref name="steps"/> − 1 steps: one result per generated token.</summary>
    public static List<StepResult> Run(LanguageModel model, GenerationOptions options, int[][] prompts, int steps)
    {
        using var session = model.StartSession(options with { MaxNewTokens = steps });
        var results = new List<StepResult> { session.Prefill(prompts) };
        while (results.Count < steps) results.Add(session.Step());
        return results;
    }

    /// <summary>Each row's context after <paramref name="results"/>: prompt then generated tokens, [batch][length].</summary>
    public static int[][] Contexts(int[][] prompts, IReadOnlyList<StepResult> results) =>
        [.. prompts.Select((p, b) => p.Concat(results.Select(r => r.Tokens[b])).ToArray())];

    /// <summary>Logits of one cache-free pass over <paramref name="tokens"/>, [batch][pos][d_vocab].</summary>
    public static double[][][] FullLogits(CausalLm model, int[][] tokens)
    {
        var flat = TinyLlamas.Logits(model, tokens);
        int pos = tokens[0].Length, vocab = model.Spec.VocabSize;
        return [.. Enumerable.Range(0, tokens.Length).Select(b =>
            Enumerable.Range(0, pos).Select(p => flat.AsSpan((b * pos + p) * vocab, vocab).ToArray()).ToArray())];
    }

    /// <summary>max |a − b| / max |b|.</summary>
    public static double RelativeError(float[] actual, double[] expected) =>
        TinyLlamas.RelativeError([.. actual.Select(x => (double)x)], expected);
}

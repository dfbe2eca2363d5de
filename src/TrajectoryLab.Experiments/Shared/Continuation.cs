// One prompt continued through the shared generation API, with the entropy of every next-token distribution and the
// surprisal of the chosen token: what `generate` reports, and the sample continuations in a training report.
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>The generated tokens of one prompt and, per token, H of the distribution it came from and its surprisal (nats).</summary>
public sealed record Continuation(int[] Tokens, double[] Entropy, double[] Surprisal)
{
    /// <summary>
    /// Continues <paramref name="prompt"/> (after the tokenizer's BOS, else EOS, token) by up to <paramref name="maxNewTokens"/>
    /// tokens, stopping early at EOS; <paramref name="stream"/> picks the row's random stream under <paramref name="seed"/>.
    /// </summary>
    public static Continuation Generate(
        LanguageModel lm,
        ITextTokenizer tokenizer,
        string prompt,
        SamplerOptions sampler,
        int maxNewTokens,
        long seed,
        long stream,
        CancellationToken cancellation,
        Action? onToken = null
    ) => Generate(lm, tokenizer, PromptSource.Of([prompt], [], tokenizer)[0], sampler, maxNewTokens, seed, stream, cancellation, onToken);

    /// <summary>Continues the prompt given as token ids (used as they are); otherwise as the text overload.</summary>
    public static Continuation Generate(
        LanguageModel lm,
        ITextTokenizer tokenizer,
        int[] ids,
        SamplerOptions sampler,
        int maxNewTokens,
        long seed,
        long stream,
        CancellationToken cancellation,
        Action? onToken = null
    )
    {
        using var session = lm.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = maxNewTokens,
                Sampler = sampler,
                Seed = seed,
                StreamIds = [stream],
                Outputs = StepOutputs.Logits,
            }
        );
        var (tokens, entropy, surprisal) = (new List<int>(), new List<double>(), new List<double>());
        var step = session.Prefill([ids]);
        while (true)
        {
            cancellation.ThrowIfCancellationRequested();
            var logits = Array.ConvertAll(step.Logits![0], v => (double)v); // [d_vocab]
            var stats = TokenEntropy.OfLogits(logits);
            var token = step.Tokens[0];
            tokens.Add(token);
            entropy.Add(stats.Entropy);
            surprisal.Add(stats.LogPartition - logits[token]);
            onToken?.Invoke();
            if (tokens.Count >= maxNewTokens || token == tokenizer.EosId)
                break;
            step = session.Step();
        }
        return new Continuation([.. tokens], [.. entropy], [.. surprisal]);
    }

    /// <summary>The generated text, without a final EOS token.</summary>
    public string Text(ITextTokenizer tokenizer) =>
        tokenizer.Decode(Tokens.Length > 0 && Tokens[^1] == tokenizer.EosId ? Tokens[..^1] : Tokens);
}

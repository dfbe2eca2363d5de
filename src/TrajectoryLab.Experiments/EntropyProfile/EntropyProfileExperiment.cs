// entropy-profile: the entropy H_t of every next-token distribution and the surprisal −ln p(x_{t+1}) of the token that
// followed, over validation text (teacher-forced) and over the model's own generations; high-entropy positions by batch
// quantile and per-sequence top-K, shown on the text; H(T) on real logits with dH/dT = Var(z)/T³ checked against finite
// differences; and entropy against the frequency rank of the token predicted (and of the token read). Trained vs random init.
// References: Shannon (1948), Bell Syst. Tech. J. 27; Wang et al. (2025), arXiv:2506.01939 (high-entropy minority tokens);
// Holtzman et al. (2020), ICLR (degeneration); Zipf (1949); docs/science.md (entropy identities).
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Sampling;

namespace TrajectoryLab.Experiments.EntropyProfile;

/// <summary>One sequence's entropies: <c>Entropy[i]</c> is H of the distribution that chose <c>Tokens[Offset + i]</c>.</summary>
/// <param name="Name">The text (and "generated" for generations).</param>
/// <param name="Tokens">All token ids, BOS first.</param>
/// <param name="Offset">Index of the first token whose predicting distribution was measured (1 for read text, the prompt length for generations).</param>
/// <param name="Entropy">H (nats) of the model's T = 1 next-token distribution.</param>
/// <param name="Surprisal">−ln p of the token that came.</param>
public sealed record EntropyTrace(string Name, int[] Tokens, int Offset, double[] Entropy, double[] Surprisal);

/// <summary>What one model measured.</summary>
/// <param name="Label">"trained" or "random init".</param>
/// <param name="Read">Teacher-forced over each text.</param>
/// <param name="Generated">Over each generation.</param>
/// <param name="FirstLogits">The logits over the first text, [n, d_vocab] (for the temperature sweep).</param>
public sealed record EntropyProfileResult(string Label, List<EntropyTrace> Read, List<EntropyTrace> Generated, LogitsBatch FirstLogits);

/// <summary>Entropy and surprisal profiles, high-entropy positions, H(T) and entropy by frequency rank.</summary>
public sealed class EntropyProfileExperiment(ProjectPaths paths) : Experiment<EntropyProfileOptions>
{
    /// <inheritdoc/>
    public override string Kind => "entropy-profile";

    /// <inheritdoc/>
    protected override void Run(EntropyProfileOptions o, RunContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Run returns
        var (models, tokenizer, folder) = loaded;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        if (texts.Count == 0) throw new ArgumentException("text: no text has 2 tokens or more");
        var results = new List<EntropyProfileResult>();
        run.Phase("read and generate", () =>
        {
            using var progress = run.Progress("models", models.Count);
            foreach (var m in models)
            {
                run.Cancellation.ThrowIfCancellationRequested();
                var read = new List<EntropyTrace>();
                LogitsBatch? first = null;
                foreach (var text in texts)
                {
                    var logits = LogitsBatch.FromFloats(PrefillPass.Read(m.Model, text.Tokens, patterns: false, residual: false).Logits, m.Model.Spec.VocabSize);
                    first ??= logits;
                    read.Add(Read(text, logits));
                }
                results.Add(new EntropyProfileResult(m.Label, read, Generate(m.Model, texts, o, run.Cancellation), first!));
                progress.Advance();
            }
        });
        EntropyProfileReport.Write(run, o, results, texts, tokenizer, folder, models[0].Model.Spec);
    }

    /// <summary>H_t and −ln p(x_{t+1}) at every position but the last (which has no following token).</summary>
    private static EntropyTrace Read(TokenizedText text, LogitsBatch logits)
    {
        var n = text.Tokens.Length;
        var observed = text.Tokens.Skip(1).Append(0).ToArray(); // placeholder for the last row, dropped below
        var stats = TokenEntropy.Compute(logits, observed: observed);
        return new EntropyTrace(text.Name, text.Tokens, 1, stats.Entropy[..(n - 1)], stats.Surprisal![..(n - 1)]);
    }

    /// <summary>Samples <see cref="EntropyProfileOptions.GenerateTokens"/> tokens from each text's first tokens (one batch).</summary>
    private static List<EntropyTrace> Generate(LanguageModel model, IReadOnlyList<TokenizedText> texts, EntropyProfileOptions o, CancellationToken cancel)
    {
        var prompts = texts.Where(t => t.Tokens.Length >= o.PromptTokens).ToArray();
        if (prompts.Length == 0) return [];
        using var session = model.StartSession(new GenerationOptions
        {
            MaxNewTokens = o.GenerateTokens, Seed = o.Seed, Outputs = StepOutputs.LogProbs,
            Sampler = new SamplerOptions { Temperature = o.Temperature },
        });
        var entropy = prompts.Select(_ => new List<double>()).ToArray();
        var surprisal = prompts.Select(_ => new List<double>()).ToArray();
        var step = session.Prefill([.. prompts.Select(p => p.Tokens[..o.PromptTokens])]);
        for (var s = 0; ; s++)
        {
            for (var r = 0; r < prompts.Length; r++)
            {
                var lp = Array.ConvertAll(step.LogProbs![r], x => (double)x); // [d_vocab]
                entropy[r].Add(TokenEntropy.Entropy(lp));
                surprisal[r].Add(TokenEntropy.Surprisal(lp, step.Tokens[r]));
            }
            if (s + 1 >= o.GenerateTokens) break;
            cancel.ThrowIfCancellationRequested();
            step = session.Step();
        }
        return [.. prompts.Select((p, r) => new EntropyTrace($"{p.Name} (generated)", session.Tokens(r), o.PromptTokens, [.. entropy[r]], [.. surprisal[r]]))];
    }
}

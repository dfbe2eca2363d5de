// entropy-profile: the entropy H_t of every next-token distribution and the surprisal −ln p(x_{t+1}) of the token that
// followed, over validation text (teacher-forced) and over the model's own generations; high-entropy positions by batch
// quantile and per-sequence top-K, shown on the text; H(T) on real logits with dH/dT = Var(z)/T³ checked against finite
// differences; and entropy against the frequency rank of the token predicted (and of the token read). Trained vs random init.
// The measurement reads and generates; EntropyProfileReport (with EntropyTemperatureSweep and EntropyByRank) analyses.
// References: Shannon (1948), Bell Syst. Tech. J. 27; Wang et al. (2025), arXiv:2506.01939 (high-entropy minority tokens);
// Holtzman et al. (2020), ICLR (degeneration); Zipf (1949); docs/science.md (entropy identities).
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Experiments.EntropyProfile;

/// <summary>Entropy and surprisal profiles, high-entropy positions, H(T) and entropy by frequency rank.</summary>
public sealed class EntropyProfileExperiment(ProjectPaths paths) : Experiment<EntropyProfileOptions, EntropyProfileResult>
{
    /// <inheritdoc/>
    public override string Kind => "entropy-profile";

    /// <inheritdoc/>
    public override EntropyProfileResult Measure(EntropyProfileOptions o, IMeasureContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Measure returns
        var (models, tokenizer, folder) = loaded;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        if (texts.Count == 0)
            throw new ArgumentException("text: no text has 2 tokens or more");
        var results = new List<ModelEntropy>();
        IReadOnlyList<SweptLogits> swept = [];
        run.Phase("read and generate", () =>
        {
            using var progress = run.Progress("models", models.Count);
            foreach (var m in models)
            {
                run.Cancellation.ThrowIfCancellationRequested();
                var read = new List<EntropyTrace>();
                foreach (var text in texts)
                {
                    var logits = LogitsBatch.FromFloats(
                        PrefillPass.Read(m.Model, text.Tokens, patterns: false, residual: false).Logits,
                        m.Model.Spec.VocabSize
                    ); // [n, d_vocab]
                    read.Add(Read(text, logits, tokenizer));
                    if (results.Count == 0 && read.Count == 1) // the trained model's first text: the rows the sweep needs
                        swept =
                        [
                            .. EntropyTemperatureSweep.Positions(read[0].Entropy).Select(i => new SweptLogits(i, logits.Row(i).ToArray())),
                        ]; // [d_vocab] each
                }
                results.Add(new ModelEntropy(m.Label, read, Generate(m.Model, texts, tokenizer, o, run.Cancellation)));
                progress.Advance();
            }
        });
        return new EntropyProfileResult(ModelFacts.Of(o.Model.Name, folder, models[0].Model), results, swept);
    }

    /// <inheritdoc/>
    public override void Report(EntropyProfileOptions o, EntropyProfileResult result, RunContext run) =>
        EntropyProfileReport.Render(o, result, run);

    /// <summary>H_t and −ln p(x_{t+1}) at every position but the last (which has no following token).</summary>
    private static EntropyTrace Read(TokenizedText text, LogitsBatch logits, ITextTokenizer tokenizer)
    {
        var n = text.Tokens.Length;
        var observed = text.Tokens.Skip(1).Append(0).ToArray(); // placeholder for the last row, dropped below
        var stats = TokenEntropy.Compute(logits, observed: observed);
        return Trace(text.Name, text.Tokens, 1, stats.Entropy[..(n - 1)], stats.Surprisal![..(n - 1)], tokenizer);
    }

    /// <summary>A trace with the texts of its tokens, its prompt and the context before each predicted token.</summary>
    private static EntropyTrace Trace(string name, int[] tokens, int offset, double[] entropy, double[] surprisal, ITextTokenizer tokenizer)
    {
        string Before(int k) => tokenizer.Decode(tokens.AsSpan(Math.Max(1, k - 4), k - Math.Max(1, k - 4)));
        return new EntropyTrace(
            name,
            tokens,
            [.. tokens.Select(tokenizer.TokenText)],
            offset,
            entropy,
            surprisal,
            tokenizer.Decode(tokens.AsSpan(1, offset - 1)),
            [.. Enumerable.Range(offset, entropy.Length).Select(Before)]
        );
    }

    /// <summary>Samples <see cref="EntropyProfileOptions.GenerateTokens"/> tokens from each text's first tokens (one batch).</summary>
    private static List<EntropyTrace> Generate(
        LanguageModel model,
        IReadOnlyList<TokenizedText> texts,
        ITextTokenizer tokenizer,
        EntropyProfileOptions o,
        CancellationToken cancel
    )
    {
        var prompts = texts.Where(t => t.Tokens.Length >= o.PromptTokens).ToArray();
        if (prompts.Length == 0)
            return [];
        using var session = model.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = o.GenerateTokens,
                Seed = o.Seed,
                Outputs = StepOutputs.LogProbs,
                Sampler = new SamplerOptions { Temperature = o.Temperature },
            }
        );
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
            if (s + 1 >= o.GenerateTokens)
                break;
            cancel.ThrowIfCancellationRequested();
            step = session.Step();
        }
        return
        [
            .. prompts.Select(
                (p, r) => Trace($"{p.Name} (generated)", session.Tokens(r), o.PromptTokens, [.. entropy[r]], [.. surprisal[r]], tokenizer)
            ),
        ];
    }
}

// generate: continuations of prompts from a language model (the embedded default unless "model" says otherwise), with
// the token entropy H_t of every next-token distribution and the surprisal of the chosen token: the first look at a
// trajectory of the generation map. The measurement decodes; GenerateReport finds loops and renders.
// References: Holtzman et al. (2020) on degeneration; Welleck et al. (2019) on repetition; docs/science.md for the metrics.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Sampling;

namespace TrajectoryLab.Experiments.Generate;

/// <summary>Generates from each prompt, recording entropy and surprisal at every token.</summary>
public sealed class GenerateExperiment(ProjectPaths paths) : Experiment<GenerateOptions, GenerateResult>
{
    /// <inheritdoc/>
    public override string Kind => "generate";

    /// <inheritdoc/>
    public override GenerateResult Measure(GenerateOptions o, IMeasureContext run)
    {
        var source = ModelLocator.Resolve(o.Model, o.Tokenizer, paths);
        using var lm = run.Phase("load", () => LanguageModel.Load(
                source,
                new ModelOptions
                {
                    Device = o.Device,
                    DType = o.DType,
                    Cache = o.Cache is { } c ? new CachePolicy(c.Sinks, c.Window) : null,
                }
            ));
        var tokenizer = ModelPair.TokenizerOf(source, lm.Spec.VocabSize);
        var prompts = PromptSource.Of(o.Prompts, o.PromptIds, tokenizer);
        var sampler = Sampler(o);
        var continuations = run.Phase("generate", () =>
        {
            using var progress = run.Progress("tokens", (long)prompts.Length * o.MaxNewTokens);
            return prompts
                .Select(
                    (prompt, p) =>
                    {
                        var c = Continuation.Generate(lm, tokenizer, prompt, sampler, o.MaxNewTokens, o.Seed, p, run.Cancellation, () =>
                            progress.Advance()
                        );
                        return new GeneratedText(
                            PromptSource.Label(o.Prompts, o.PromptIds, p),
                            c.Tokens,
                            [.. c.Tokens.Select(tokenizer.TokenText)],
                            c.Entropy,
                            c.Surprisal
                        );
                    }
                )
                .ToList();
        });
        return new GenerateResult(ModelFacts.Of(o.Model, source.Path, lm), sampler.IsGreedy, continuations);
    }

    /// <inheritdoc/>
    public override void Report(GenerateOptions o, GenerateResult result, RunContext run) => GenerateReport.Render(o, result, run);

    /// <summary>The decoding the options ask for.</summary>
    public static SamplerOptions Sampler(GenerateOptions o) =>
        new()
        {
            Temperature = o.Temperature,
            TopK = o.TopK,
            TopP = o.TopP,
            MinP = o.MinP,
            RepetitionPenalty = o.RepetitionPenalty,
        };
}

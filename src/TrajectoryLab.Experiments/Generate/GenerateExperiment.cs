// generate: continuations of prompts from a language model (the embedded default unless "model" says otherwise), with
// the token entropy H_t of every next-token distribution and the surprisal of the chosen token, shown on the text itself,
// and whether each continuation fell into a loop (period, onset): the first look at a trajectory of the generation map.
// References: Holtzman et al. (2019) on degeneration; Welleck et al. (2019) on repetition; docs/science.md for the metrics.
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Experiments.Generate;

/// <summary>Options of <c>generate</c>.</summary>
public sealed class GenerateOptions : ExperimentOptions, IPreflight
{
    /// <summary>"default" (models/brown-small), a Hugging Face folder, a .safetensors file with config.json beside it, or a
    /// llama2.c .bin.</summary>
    [Required] public string Model { get; set; } = ModelLocator.Default;
    /// <summary>A tokenizer.json or tokenizer.bin to use instead of the one beside the weights; null for that one (or none).</summary>
    public string? Tokenizer { get; set; }
    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    [Required] public string Device { get; set; } = "cpu";
    /// <summary>"float32", "bfloat16" or "float16".</summary>
    [Required] public string DType { get; set; } = "float32";
    /// <summary>Prompts; each is continued separately, preceded by the tokenizer's BOS (or EOS) token.</summary>
    public string[] Prompts { get; set; } = ["The jury said"];
    /// <summary>Prompts as token ids, used as they are (nothing prepended) instead of <see cref="Prompts"/> when nonempty:
    /// how a model without a tokenizer is prompted.</summary>
    public int[][] PromptIds { get; set; } = [];
    [Range(1, 100_000)] public int MaxNewTokens { get; set; } = 120;
    /// <summary>0 = greedy.</summary>
    [Range(0.0, 100.0)] public double Temperature { get; set; } = 0;
    [Range(0, 1_000_000)] public int TopK { get; set; }
    [Range(0.0, 1.0)] public double TopP { get; set; } = 1;
    [Range(0.0, 1.0)] public double MinP { get; set; }
    [Range(0.01, 100.0)] public double RepetitionPenalty { get; set; } = 1;
    /// <summary>A loop must repeat this many times at the end to count.</summary>
    [Range(2, 1000)] public int LoopRepeats { get; set; } = 3;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths) =>
        ModelPreflight.Check(Model, Tokenizer, paths, out var model) is { } problem ? (problem.InTokenizer && Tokenizer is not null ? "tokenizer" : "model", problem.Message)
        : ModelOptions.DeviceProblem(Device) is { } device ? ("device", device)
        : PromptSource.Check(Prompts, PromptIds, model!);
}

/// <summary>Generates from each prompt and measures entropy, surprisal and loops along the way.</summary>
public sealed class GenerateExperiment(ProjectPaths paths) : Experiment<GenerateOptions>
{
    public override string Kind => "generate";

    protected override void Run(GenerateOptions o, RunContext run)
    {
        var source = ModelLocator.Resolve(o.Model, o.Tokenizer, paths);
        var folder = source.Path;
        using var lm = run.Phase("load", () => LanguageModel.Load(source, new ModelOptions { Device = o.Device, DType = o.DType }));
        var tokenizer = ModelPair.TokenizerOf(source, lm.Spec.VocabSize);
        var prompts = PromptSource.Of(o.Prompts, o.PromptIds, tokenizer);
        string Label(int p) => PromptSource.Label(o.Prompts, o.PromptIds, p);
        var sampler = new SamplerOptions { Temperature = o.Temperature, TopK = o.TopK, TopP = o.TopP, MinP = o.MinP, RepetitionPenalty = o.RepetitionPenalty };

        var rows = new List<object[]>();
        var loops = new List<object[]>();
        var report = run.Report;
        report.Lead(string.Create(CultureInfo.InvariantCulture,
            $"{prompts.Length} prompt(s) continued for up to {o.MaxNewTokens} tokens by {o.Model} ({folder}; {lm.Spec.NumLayers} layers, d_model {lm.Spec.HiddenSize}, " +
            $"vocabulary {lm.Spec.VocabSize}) on {lm.Device} in {lm.DType}; {(sampler.IsGreedy ? "greedy" : $"T = {o.Temperature}, top-k {o.TopK}, top-p {o.TopP}, min-p {o.MinP}")}, " +
            $"repetition penalty {o.RepetitionPenalty}. H_t is the entropy (nats) of the model's own next-token distribution at temperature 1; surprisal is −ln p of the chosen token."));
        var curves = new List<FigureSeries>();
        run.Phase("generate", () =>
        {
            using var progress = run.Progress("tokens", (long)prompts.Length * o.MaxNewTokens);
            for (int p = 0; p < prompts.Length; p++)
            {
                var c = Continuation.Generate(lm, tokenizer, prompts[p], sampler, o.MaxNewTokens, o.Seed, p, run.Cancellation, () => progress.Advance());
                var (generated, entropy) = (c.Tokens, c.Entropy);
                for (int t = 0; t < generated.Length; t++)
                    rows.Add([p, t, generated[t], tokenizer.TokenText(generated[t]), entropy[t], c.Surprisal[t]]);
                var cycle = CycleDetector.Detect(generated, o.LoopRepeats);
                loops.Add([p, Label(p), cycle.IsLoop ? "yes" : "no", cycle.IsLoop ? cycle.Period : 0, cycle.IsLoop ? cycle.Onset : -1, entropy.Average()]);
                curves.Add(new LineSeries($"prompt {p + 1}", Enumerable.Range(0, entropy.Length).Select(i => (double)i).ToArray(), entropy));

                report.Section($"Prompt {p + 1}: “{Label(p)}”", cycle.IsLoop
                    ? string.Create(CultureInfo.InvariantCulture, $"Fell into a loop of period {cycle.Period} from step {cycle.Onset} ({cycle.Repeats:F1} repeats). ")
                        + (cycle.Onset > 0 ? string.Create(CultureInfo.InvariantCulture, $"Mean entropy {entropy[..cycle.Onset].Average():F3} nats before the onset, ") : "The loop starts with the first generated token; mean entropy ")
                        + string.Create(CultureInfo.InvariantCulture, $"{entropy[cycle.Onset..].Average():F3} nats inside the loop.")
                    : string.Create(CultureInfo.InvariantCulture, $"No loop. Mean entropy {entropy.Average():F3} nats."));
                report.Add(new TokenStrip(generated.Select((id, i) => new Token(tokenizer.TokenText(id), entropy[i])).ToArray()) { ValueLabel = "entropy of the distribution the token was chosen from (nats)" });
            }
        });

        run.Table("tokens", ["prompt", "step", "token_id", "token", "entropy_nats", "surprisal_nats"], rows);
        run.Table("loops", ["prompt", "text", "loop", "period", "onset", "mean_entropy_nats"], loops);
        run.Headline("mean token entropy (nats)", rows.Average(r => (double)r[4]));
        run.Headline("continuations in a loop", $"{loops.Count(l => (string)l[2] == "yes")}/{loops.Count}");
        report.Section("Entropy along each continuation", "H_t at every generated position; a fall to near zero that stays there is the signature of a repetition attractor.");
        report.Figure(run.Figure(new Figure("entropy-per-step", "Token entropy along each continuation", new Axis("generated token"), new Axis("H_t (nats)") { Min = 0 })
        {
            Series = curves,
            Legend = curves.Count > 8 ? LegendPosition.None : LegendPosition.TopRight,
        }));
    }
}

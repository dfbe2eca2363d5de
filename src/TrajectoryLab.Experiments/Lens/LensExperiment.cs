// lens: where in depth the next-token distribution forms. Every residual site's stream is read through the model's own
// head (the logit lens) and through a per-site affine translator trained to match the final distribution (the tuned
// lens), on natural validation text, on the model's own greedy continuations (which often fall into loops) and on text
// longer than the training context; for the trained model and its random-init twin. The tuned lens is read from next to
// the model's weights when one trained for exactly those weights is there, else trained in the run (and saved).
// References: nostalgebraist (2020), "interpreting GPT: the logit lens" (LessWrong); Belrose et al. (2023), "Eliciting
// Latent Predictions from Transformers with the Tuned Lens", arXiv:2303.08112; Holtzman et al. (2020), ICLR (loops).
using System.Globalization;
using System.Text.Json;
using Microsoft.Extensions.Logging;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Experiments.Shared;
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Lens;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Experiments.Lens;

/// <summary>Reads the logit lens and the tuned lens on natural, generated and over-long text.</summary>
/// <param name="paths">The project paths (model, corpus).</param>
public sealed class LensExperiment(ProjectPaths paths) : Experiment<LensOptions, LensResult>
{
    /// <summary>The file name of a tuned lens saved next to a model's weights.</summary>
    public const string LensFileName = "tuned-lens.safetensors";

    /// <inheritdoc/>
    public override string Kind => "lens";

    /// <inheritdoc/>
    public override LensResult Measure(LensOptions o, IMeasureContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths));
        var (models, tokenizer, folder) = loaded;
        var context = o.Context > 0 ? o.Context : models[0].Model.Spec.MaxPositionEmbeddings;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
        if (texts.Count == 0)
            throw new ArgumentException("text: no text of at least 2 tokens to read");
        var past = o.PastLength > 0 && o.PastTexts > 0 ? PastTexts(o, tokenizer, context) : [];
        var fits = new List<LensFit>();
        var lenses = new Dictionary<string, TunedLens>();
        try
        {
            if (o.TunedLens.Enabled)
                foreach (var m in models)
                {
                    if (m.Label != "trained" && !o.TunedLens.TrainRandom)
                        continue;
                    var (lens, fit) = run.Phase($"tuned lens ({m.Label})", () => TunedLensFor(o, m, folder, tokenizer, context, run));
                    lenses[m.Label] = lens;
                    fits.Add(fit);
                }
            var traces = new List<LensTrace>();
            run.Phase("read", () =>
            {
                var perModel = texts.Count * (o.PromptTokens > 0 ? 2 : 1) + past.Count;
                using var progress = run.Progress("texts", (long)models.Count * perModel);
                foreach (var m in models)
                {
                    var lens = lenses.GetValueOrDefault(m.Label);
                    foreach (var text in texts)
                    {
                        run.Cancellation.ThrowIfCancellationRequested();
                        traces.Add(Trace(m, "natural", text.Name, text.Tokens, text.Tokens.Length, lens, o.LoopRepeats));
                        progress.Advance();
                        if (o.PromptTokens == 0 || text.Tokens.Length <= o.PromptTokens)
                            continue;
                        var generated = Greedy(m.Model, tokenizer, text.Tokens[..o.PromptTokens], text.Tokens.Length, run.Cancellation);
                        traces.Add(Trace(m, "greedy", text.Name, generated, o.PromptTokens, lens, o.LoopRepeats));
                        progress.Advance();
                    }
                    foreach (var text in past)
                    {
                        run.Cancellation.ThrowIfCancellationRequested();
                        traces.Add(Trace(m, "past context", text.Name, text.Tokens, text.Tokens.Length, lens, o.LoopRepeats));
                        progress.Advance();
                    }
                }
            });
            return new LensResult(
                ModelFacts.Of(o.Model.Name, folder, models[0].Model),
                [.. models.Select(m => m.Label)],
                context,
                traces,
                fits
            );
        }
        finally
        {
            foreach (var lens in lenses.Values)
                lens.Dispose();
        }
    }

    /// <inheritdoc/>
    public override void Report(LensOptions o, LensResult result, RunContext run) => LensReport.Render(o, result, run);

    private static LensTrace Trace(MeasuredModel m, string source, string name, int[] tokens, int prompt, TunedLens? lens, int repeats)
    {
        var reading = LensPass.Read(m.Model, tokens, lens);
        var cycle = source == "greedy" ? CycleDetector.Detect(tokens.AsSpan(prompt), repeats) : Cycle.None;
        return new LensTrace(
            m.Label,
            source,
            name,
            tokens,
            prompt,
            cycle.IsLoop ? prompt + cycle.Onset : -1,
            cycle.IsLoop ? cycle.Period : 0,
            reading
        );
    }

    /// <summary>The greedy continuation of <paramref name="prompt"/> to <paramref name="length"/> tokens (prompt included).</summary>
    private static int[] Greedy(LanguageModel model, ITextTokenizer tokenizer, int[] prompt, int length, CancellationToken cancellation)
    {
        var continuation = Continuation.Generate(
            model,
            tokenizer,
            prompt,
            SamplerOptions.Greedy,
            length - prompt.Length,
            0,
            0,
            cancellation
        );
        return [.. prompt.Concat(continuation.Tokens).Take(length)];
    }

    /// <summary>The first natural documents long enough to fill pastLength × the context, cut to that length.</summary>
    private List<TokenizedText> PastTexts(LensOptions o, ITextTokenizer tokenizer, int context)
    {
        var tokens = (int)Math.Round(o.PastLength * context);
        var choice = new TextChoice
        {
            Texts = o.Text.Texts,
            Ids = o.Text.Ids,
            Corpus = o.Text.Corpus,
            ValidationFraction = o.Text.ValidationFraction,
            SplitSeed = o.Text.SplitSeed,
            Documents = Math.Max(o.Text.Documents, o.PastTexts) * 4,
            Tokens = tokens,
        };
        return [.. TextSource.Load(choice, tokenizer, paths).Where(t => t.Tokens.Length == tokens).Take(o.PastTexts)];
    }

    /// <summary>The model's tuned lens: the saved one when it was trained for these weights, else one trained now.</summary>
    private (TunedLens, LensFit) TunedLensFor(
        LensOptions o,
        MeasuredModel m,
        string folder,
        ITextTokenizer tokenizer,
        int context,
        IMeasureContext run
    )
    {
        var spec = m.Model.Spec;
        var (sites, width) = (spec.NumLayers + 1, spec.HiddenSize);
        var trained = m.Label == "trained";
        var weights = trained
            ? Convert.ToHexStringLower(ModelContentHash.Of(ModelLocator.Resolve(o.Model.Name, o.Model.Tokenizer, paths)))
            : $"random init, seed {o.Model.RandomSeed}";
        var saved = o.TunedLens.SavedPath(folder, paths);
        if (trained && File.Exists(saved))
        {
            var lens = TunedLens.Load(saved, sites, width);
            if (lens.Metadata.GetValueOrDefault("model_sha256") == weights)
                return (lens, Fit(m.Label, $"read from {saved}", weights, lens));
            lens.Dispose();
            if (o.TunedLens.Path is not null)
                throw new ArgumentException($"tunedLens:path: '{saved}' was trained for other weights than {o.Model.Name}'s");
            run.Logger.LogInformation("{Lens} belongs to other weights; training a tuned lens in this run", saved);
        }
        var windowTokens = o.TunedLens.WindowTokens > 0 ? o.TunedLens.WindowTokens : context;
        var windows = TrainingWindows(o, tokenizer, windowTokens);
        var trainedLens = TunedLens.Identity(sites, width);
        try
        {
            var settings = new TunedLensTraining(o.TunedLens.Steps, o.TunedLens.BatchWindows, o.TunedLens.LearningRate, o.Seed);
            using var progress = run.Progress($"tuned lens steps ({m.Label})", o.TunedLens.Steps);
            var curve = TunedLensTrainer.Train(m.Model, trainedLens, windows, settings, run.Cancellation, _ => progress.Advance());
            var metadata = new Dictionary<string, string>
            {
                ["model_sha256"] = weights,
                ["steps"] = Invariant(o.TunedLens.Steps),
                ["batch_windows"] = Invariant(o.TunedLens.BatchWindows),
                ["learning_rate"] = o.TunedLens.LearningRate.ToString("R", CultureInfo.InvariantCulture),
                ["windows"] = Invariant(windows.Count),
                ["window_tokens"] = Invariant(windowTokens),
                ["seed"] = Invariant(o.Seed),
                ["curve"] = JsonSerializer.Serialize(curve),
            };
            trainedLens.Save(Path.Combine(run.Folder, trained ? LensFileName : "tuned-lens-random-init.safetensors"), metadata);
            if (trained && o.TunedLens.SaveWithModel)
                trainedLens.Save(saved, metadata);
            return (trainedLens, Fit(m.Label, "trained in this run", weights, trainedLens));
        }
        catch
        {
            trainedLens.Dispose();
            throw;
        }
    }

    private static LensFit Fit(string model, string origin, string weights, TunedLens lens)
    {
        var md = lens.Metadata;
        var curve = md.TryGetValue("curve", out var json) ? JsonSerializer.Deserialize<double[][]>(json) ?? [] : [];
        int Read(string key) => md.TryGetValue(key, out var v) ? int.Parse(v, CultureInfo.InvariantCulture) : 0;
        return new LensFit(model, origin, weights, curve, lens.DistanceFromIdentity(), Read("windows"), Read("window_tokens"));
    }

    /// <summary>Windows of <paramref name="tokens"/> tokens (BOS, then consecutive tokens of one document) from the
    /// documents of the texts' corpus that no text is read from (<see cref="TextSource.Split"/>).</summary>
    private List<int[]> TrainingWindows(LensOptions o, ITextTokenizer tokenizer, int tokens)
    {
        var documents = TextSource.Split(o.Text, paths).Others;
        var start = tokenizer.BosId ?? tokenizer.EosId;
        var windows = new List<int[]>();
        foreach (var d in documents.Take(o.TunedLens.TrainingDocuments))
        {
            var ids = tokenizer.Encode(d.Text);
            var body = tokens - (start is null ? 0 : 1);
            for (var i = 0; i + body <= ids.Length; i += body)
                windows.Add([.. (start is { } s ? new[] { s } : []).Concat(ids.Skip(i).Take(body))]);
        }
        if (windows.Count == 0)
            throw new ArgumentException($"tunedLens:trainingDocuments: no training document holds a window of {tokens} tokens");
        return windows;
    }

    private static string Invariant(int value) => value.ToString(CultureInfo.InvariantCulture);
}

// degeneration-protocol: the sequence-completion protocol of Welleck et al. (2019) and Holtzman et al. (2020) on Brown
// validation text. Each text is cut into windows of a prefix (50 tokens) and its human continuation (100 tokens); every
// decoder (greedy, beam search, top-k, nucleus, pure and tempered sampling) continues every prefix, all prefixes of a
// sampler in one batched session and beam search B rows per prefix; the model also reads the human continuations
// teacher-forced (their perplexity, and the next-token predictions of Welleck's token-level metrics).
// DegenerationProtocolReport computes seq-rep-n, rep/ℓ, uniq, repetition % and perplexities and puts them beside the papers'.
// References: Welleck et al. (2019), "Neural Text Generation with Unlikelihood Training" (arXiv:1908.04319), §6 and
// Table 2; Holtzman et al. (2020), "The Curious Case of Neural Text Degeneration" (arXiv:1904.09751), §4 and Table 1.
using System.Diagnostics;
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Experiments.DegenerationProtocol;

/// <summary>Continues every prefix with every decoder and reads the human continuations.</summary>
/// <param name="paths">The project paths (to find the model and the corpus).</param>
public sealed class DegenerationProtocolExperiment(ProjectPaths paths) : Experiment<DegenerationProtocolOptions, DegenerationProtocolResult>
{
    /// <inheritdoc/>
    public override string Kind => "degeneration-protocol";

    /// <inheritdoc/>
    public override DegenerationProtocolResult Measure(DegenerationProtocolOptions o, IMeasureContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths));
        var model = loaded.Models[0].Model;
        var texts = run.Phase("texts", () => TextSource.Load(o.Text, loaded.Tokenizer, paths));
        var (sources, prefixes, human) = Windows(texts, loaded.Tokenizer.BosId ?? loaded.Tokenizer.EosId, o);
        if (prefixes.Length == 0)
            throw new ArgumentException(
                $"text: no text holds a window of {o.PrefixTokens} prefix and {o.ContinuationTokens} continuation tokens"
            );
        var reading = run.Phase("human", () => ReadHuman(model, prefixes, human, run.Cancellation));
        var runs = new List<DecoderRun>();
        run.Phase("decode", () =>
        {
            using var progress = run.Progress("decoders", o.Decoders.Length);
            foreach (var name in o.Decoders)
            {
                run.Cancellation.ThrowIfCancellationRequested();
                var decoder = DegenerationProtocolOptions.Parse(name)!;
                var clock = Stopwatch.StartNew();
                var (continuations, logProb) =
                    decoder.Beams > 0
                        ? Beam(model, prefixes, decoder.Beams, o, run.Cancellation)
                        : Sample(model, prefixes, decoder, o, run.Cancellation);
                runs.Add(new DecoderRun(name, continuations, logProb, clock.Elapsed.TotalSeconds));
                progress.Advance();
            }
        });
        return new DegenerationProtocolResult(ModelFacts.Of(o.Model.Name, loaded.Folder, model), sources, prefixes, reading, runs);
    }

    /// <inheritdoc/>
    public override void Report(DegenerationProtocolOptions o, DegenerationProtocolResult result, RunContext run) =>
        DegenerationProtocolReport.Render(o, result, run);

    /// <summary>Up to <see cref="DegenerationProtocolOptions.Windows"/> back-to-back windows of every text (after its
    /// first token, the BOS): BOS + prefix, and the continuation.</summary>
    private static (string[] Sources, int[][] Prefixes, int[][] Continuations) Windows(
        IReadOnlyList<TokenizedText> texts,
        int? bos,
        DegenerationProtocolOptions o
    )
    {
        var (sources, prefixes, continuations) = (new List<string>(), new List<int[]>(), new List<int[]>());
        var span = o.PrefixTokens + o.ContinuationTokens;
        foreach (var text in texts)
        {
            // Texts given as ids are read as they are (their first id plays the BOS token's part).
            var start = text.Tokens[0];
            for (var w = 0; w < o.Windows && 1 + (w + 1) * span <= text.Tokens.Length; w++)
            {
                var at = 1 + w * span;
                sources.Add($"{text.Name} #{w + 1}");
                prefixes.Add([bos ?? start, .. text.Tokens.AsSpan(at, o.PrefixTokens)]);
                continuations.Add(text.Tokens[(at + o.PrefixTokens)..(at + span)]);
            }
        }
        return ([.. sources], [.. prefixes], [.. continuations]);
    }

    /// <summary>The human continuations read teacher-forced in one batched session.</summary>
    private static HumanReading ReadHuman(LanguageModel model, int[][] prefixes, int[][] human, CancellationToken cancel)
    {
        var length = human[0].Length;
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = length, Outputs = StepOutputs.LogProbs });
        var predictions = prefixes.Select(_ => new int[length]).ToArray(); // [prefixes][continuation]
        var logProb = 0.0;
        for (var s = 0; s < length; s++)
        {
            cancel.ThrowIfCancellationRequested();
            int[] force = [.. human.Select(h => h[s])];
            var step = s == 0 ? session.Prefill(prefixes, force) : session.Step(force);
            for (var b = 0; b < prefixes.Length; b++)
            {
                var row = step.LogProbs![b]; // [d_vocab]
                predictions[b][s] = Ranking.ArgMax(row);
                logProb += Finite(row[force[b]], "human continuation", s, b);
            }
        }
        return new HumanReading(human, logProb, predictions);
    }

    /// <summary>Every prefix continued by a sampler, in one batched session; the log-probabilities are those of the
    /// model's temperature-1 distribution.</summary>
    private static (int[][] Continuations, double LogProb) Sample(
        LanguageModel model,
        int[][] prefixes,
        DegenerationProtocolOptions.Decoder decoder,
        DegenerationProtocolOptions o,
        CancellationToken cancel
    )
    {
        using var session = model.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = o.ContinuationTokens,
                Sampler = decoder.Sampler!,
                Seed = o.Seed,
                Outputs = StepOutputs.LogProbs,
            }
        );
        var continuations = prefixes.Select(_ => new int[o.ContinuationTokens]).ToArray(); // [prefixes][continuation]
        var logProb = 0.0;
        for (var s = 0; s < o.ContinuationTokens; s++)
        {
            cancel.ThrowIfCancellationRequested();
            var step = s == 0 ? session.Prefill(prefixes) : session.Step();
            for (var b = 0; b < prefixes.Length; b++)
            {
                continuations[b][s] = step.Tokens[b];
                logProb += Finite(step.LogProbs![b][step.Tokens[b]], decoder.Name, s, b);
            }
        }
        return (continuations, logProb);
    }

    /// <summary>Every prefix continued by beam search, <see cref="DegenerationProtocolOptions.BeamPrompts"/> prefixes per
    /// session.</summary>
    private static (int[][] Continuations, double LogProb) Beam(
        LanguageModel model,
        int[][] prefixes,
        int width,
        DegenerationProtocolOptions o,
        CancellationToken cancel
    )
    {
        var best = prefixes
            .Chunk(o.BeamPrompts)
            .SelectMany(chunk => BeamSearch.Run(model, chunk, width, o.ContinuationTokens, cancellation: cancel))
            .ToArray();
        for (var b = 0; b < best.Length; b++)
            Finite(best[b].LogProb, $"beam-{width}", o.ContinuationTokens - 1, b);
        return ([.. best.Select(r => r.Tokens)], best.Sum(r => r.LogProb));
    }

    /// <summary><paramref name="value"/>, or an error naming the decoder, step and row when it is not finite.</summary>
    private static double Finite(double value, string site, int step, int row) =>
        double.IsFinite(value)
            ? value
            : throw new InvalidOperationException($"{site}: log-probability {value} at continuation step {step}, prefix {row}");
}

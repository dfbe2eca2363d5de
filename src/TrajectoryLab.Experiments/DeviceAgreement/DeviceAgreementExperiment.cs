// device-agreement: does the model compute the same thing on the device and in the dtype an experiment asks for? The
// trained default model and a random Llama are loaded on CPU in float32 (the reference) and on the device under test in
// each dtype; both read the same text teacher-forced through the KV-cache decoding path, and each position's logits are
// compared (relative max error against the dtype's tolerance c·u·√(L + 2), KL divergence, argmax agreement); then both
// decode greedily from the same prompt and the first step where their tokens differ is recorded. DeviceAgreementReport renders.
// References: Higham (2002), Accuracy and Stability of Numerical Algorithms, ch. 3 (rounding-error growth); Kalamkar et
// al. (2019), "A Study of BFLOAT16 for Deep Learning Training", arXiv:1905.12322; IEEE 754-2008 (binary16, binary32).
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.DeviceAgreement;

/// <summary>Compares logits on the configured device and dtypes with CPU float32.</summary>
public sealed class DeviceAgreementExperiment(ProjectPaths paths) : Experiment<DeviceAgreementOptions, DeviceAgreementResult>
{
    /// <inheritdoc/>
    public override string Kind => "device-agreement";

    /// <inheritdoc/>
    public override DeviceAgreementResult Measure(DeviceAgreementOptions o, IMeasureContext run)
    {
        var source = ModelLocator.Resolve(o.Model.Name, o.Model.Tokenizer, paths);
        var tokenizer = ModelPreflight.Check(o.Model.Name, o.Model.Tokenizer, paths, out var model) is { } problem
            ? throw new InvalidOperationException(problem.Message)
            : model!.Tokenizer ?? new Torch.Tokenizers.IdOnlyTokenizer(model.Spec.VocabSize);
        var text = run.Phase("text", () => TextSource.Load(o.Text, tokenizer, paths)).FirstOrDefault()
            ?? throw new ArgumentException("text: no text has 2 tokens or more");
        var rows = new List<DeviceComparison>();
        run.Phase("compare", () =>
        {
            using var progress = run.Progress("model × dtype", (o.RandomLlama.Enabled ? 2 : 1) * o.DTypes.Length);
            Compare("trained", options => LanguageModel.Load(source, options), text.Tokens, o, rows, progress, run);
            if (o.RandomLlama.Enabled)
            {
                var r = o.RandomLlama;
                var context = Math.Max(text.Tokens.Length, o.PromptTokens + o.GreedyTokens) + 1;
                var spec = ModelSpec.Llama(r.Vocab, r.Dim, r.Hidden, r.Layers, r.Heads, r.KvHeads, context: context);
                var tokens = text.Tokens.Select(t => t % r.Vocab).ToArray();
                Compare("random Llama", options => LanguageModel.Random(spec, r.Seed, options, r.Std), tokens, o, rows, progress, run);
            }
        });
        return new DeviceAgreementResult(text.Name, rows);
    }

    /// <inheritdoc/>
    public override void Report(DeviceAgreementOptions o, DeviceAgreementResult result, RunContext run) =>
        DeviceAgreementReport.Render(o, result, run);

    private static void Compare(
        string label,
        Func<ModelOptions, LanguageModel> load,
        int[] tokens,
        DeviceAgreementOptions o,
        List<DeviceComparison> rows,
        ProgressReporter progress,
        IMeasureContext run
    )
    {
        using var reference = load(new ModelOptions());
        var prompt = tokens.Take(Math.Min(o.PromptTokens, tokens.Length)).ToArray();
        var expected = Greedy(reference, prompt, o.GreedyTokens);
        foreach (var dtype in o.DTypes)
        {
            run.Cancellation.ThrowIfCancellationRequested();
            using var candidate = load(new ModelOptions { Device = o.Device, DType = dtype });
            var agreement = LogitAgreement.Compare(reference, candidate, tokens);
            var actual = Greedy(candidate, prompt, o.GreedyTokens);
            var same = expected.Zip(actual).TakeWhile(p => p.First == p.Second).Count();
            rows.Add(new DeviceComparison(label, dtype, [.. agreement.Positions], agreement.Tolerance, same, expected.Length));
            progress.Advance();
        }
    }

    private static int[] Greedy(LanguageModel model, int[] prompt, int tokens)
    {
        if (tokens == 0)
            return [];
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = tokens });
        var chosen = new List<int> { session.Prefill([prompt]).Tokens[0] };
        while (chosen.Count < tokens)
            chosen.Add(session.Step().Tokens[0]);
        return [.. chosen];
    }
}

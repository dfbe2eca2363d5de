// device-agreement: does the model compute the same thing on the device and in the dtype an experiment asks for? The
// trained default model and a random Llama are loaded on CPU in float32 (the reference) and on the device under test in
// each dtype; both read the same text teacher-forced through the KV-cache decoding path, and each position's logits are
// compared (relative max error against the dtype's tolerance c·u·√(L + 2), KL divergence, argmax agreement); then both
// decode greedily from the same prompt and the first step where their tokens differ is reported.
// References: Higham (2002), Accuracy and Stability of Numerical Algorithms, ch. 3 (rounding-error growth); Kalamkar et
// al. (2019), "A Study of BFLOAT16 for Deep Learning Training", arXiv:1905.12322; IEEE 754-2008 (binary16, binary32).
using TrajectoryLab.Experiments;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using static TrajectoryLab.Experiments.Shared.DynamicsText;

namespace TrajectoryLab.Experiments.DeviceAgreement;

/// <summary>One model in one dtype on the device under test, against CPU float32.</summary>
/// <param name="Model">"trained" or "random Llama".</param>
/// <param name="DType">The candidate's dtype.</param>
/// <param name="Agreement">The teacher-forced comparison.</param>
/// <param name="GreedyAgreeSteps">Greedy steps before the first different token (= the steps run when none differs).</param>
/// <param name="GreedySteps">Greedy steps run.</param>
public sealed record DeviceAgreementRow(string Model, string DType, AgreementResult Agreement, int GreedyAgreeSteps, int GreedySteps);

/// <summary>Compares logits on the configured device and dtypes with CPU float32.</summary>
public sealed class DeviceAgreementExperiment(ProjectPaths paths) : Experiment<DeviceAgreementOptions>
{
    /// <inheritdoc/>
    public override string Kind => "device-agreement";

    /// <inheritdoc/>
    protected override void Run(DeviceAgreementOptions o, RunContext run)
    {
        var source = ModelLocator.Resolve(o.Model.Name, o.Model.Tokenizer, paths);
        var tokenizer = ModelPreflight.Check(o.Model.Name, o.Model.Tokenizer, paths, out var model) is { } problem
            ? throw new InvalidOperationException(problem.Message)
            : model!.Tokenizer ?? new Torch.Tokenizers.IdOnlyTokenizer(model.Spec.VocabSize);
        var text = run.Phase("text", () => TextSource.Load(o.Text, tokenizer, paths)).FirstOrDefault()
                   ?? throw new ArgumentException("text: no text has 2 tokens or more");
        var rows = new List<DeviceAgreementRow>();
        run.Phase("compare", () =>
        {
            using var progress = run.Progress("model × dtype", (o.RandomLlama.Enabled ? 2 : 1) * o.DTypes.Length);
            Compare("trained", options => LanguageModel.Load(source, options), text.Tokens, o, rows, progress, run);
            if (o.RandomLlama.Enabled)
            {
                var r = o.RandomLlama;
                var spec = new ModelSpec("llama", r.Vocab, r.Dim, r.Hidden, r.Layers, r.Heads, r.KvHeads, r.Dim / r.Heads, 1e-5, 10_000, null,
                    false, false, false, Math.Max(text.Tokens.Length, o.PromptTokens + o.GreedyTokens) + 1);
                var tokens = text.Tokens.Select(t => t % r.Vocab).ToArray();
                Compare("random Llama", options => LanguageModel.Random(spec, r.Seed, options, r.Std), tokens, o, rows, progress, run);
            }
        });
        Report(run, o, rows, text.Name);
    }

    private static void Compare(string label, Func<ModelOptions, LanguageModel> load, int[] tokens, DeviceAgreementOptions o,
        List<DeviceAgreementRow> rows, ProgressReporter progress, RunContext run)
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
            rows.Add(new DeviceAgreementRow(label, dtype, agreement, same, expected.Length));
            progress.Advance();
        }
    }

    private static int[] Greedy(LanguageModel model, int[] prompt, int tokens)
    {
        if (tokens == 0) return [];
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = tokens });
        var chosen = new List<int> { session.Prefill([prompt]).Tokens[0] };
        while (chosen.Count < tokens) chosen.Add(session.Step().Tokens[0]);
        return [.. chosen];
    }

    private static void Report(RunContext run, DeviceAgreementOptions o, List<DeviceAgreementRow> rows, string textName)
    {
        run.Table("agreement", ["model", "device", "dtype", "positions", "max_relative_error", "tolerance", "within_tolerance", "mean_kl_nats", "argmax_agreement", "greedy_agree_steps", "greedy_steps"],
            rows.Select(r => new object[] { r.Model, o.Device, r.DType, r.Agreement.Positions.Count, r.Agreement.MaxRelativeError, r.Agreement.Tolerance,
                r.Agreement.WithinTolerance, r.Agreement.MeanKl, r.Agreement.ArgmaxAgreement, r.GreedyAgreeSteps, r.GreedySteps }));
        run.Table("positions", ["model", "dtype", "position", "max_abs_error", "relative_error", "kl_nats", "same_argmax"],
            rows.SelectMany(r => r.Agreement.Positions.Select(p => new object[] { r.Model, r.DType, p.Position, p.MaxAbsError, p.RelativeError, p.Kl, p.SameArgmax })));

        var series = new List<FigureSeries>();
        var color = 0;
        foreach (var r in rows)
        {
            var c = Palette[color++ % Palette.Length];
            var positive = r.Agreement.Positions.Where(p => p.RelativeError > 0).ToArray(); // a log axis cannot show exact agreement
            if (positive.Length > 0)
                series.Add(new LineSeries($"{r.Model}, {r.DType}", [.. positive.Select(p => (double)p.Position)], [.. positive.Select(p => p.RelativeError)]) { Color = c });
        }
        foreach (var dtype in o.DTypes.Distinct())
        {
            var tolerance = rows.Where(r => r.DType == dtype).Max(r => r.Agreement.Tolerance);
            series.Add(new ReferenceLine($"tolerance {dtype}", ReferenceOrientation.Horizontal, tolerance));
        }
        var errors = rows.SelectMany(r => r.Agreement.Positions).Select(p => p.RelativeError).Where(e => e > 0 && double.IsFinite(e)).ToArray();
        var top = Math.Max(rows.Max(r => r.Agreement.Tolerance), errors.DefaultIfEmpty(0).Max()) * 2;      // the tolerance lines stay in view
        var exact = rows.Where(r => r.Agreement.MaxRelativeError == 0).Select(r => $"{r.Model} {r.DType}").ToList();
        run.Figure(new Figure("relative_error", $"Logits on {o.Device} against CPU float32", new Axis("position"),
            new Axis("max |Δz| / max |z|") { Log = true, Max = top, Min = errors.Length > 0 ? errors.Min() / 2 : top / 1e6 })
        {
            Series = series,
            Subtitle = $"teacher-forced over {textName}; dashed: each dtype's tolerance 8·u·√(L + 2)" + (exact.Count > 0 ? $"; {exact.Count} exact (not drawn)" : ""),
        });

        var report = run.Report;
        var failed = rows.Where(r => !r.Agreement.WithinTolerance).ToList();
        report.Lead(failed.Count == 0
            ? $"On {o.Device}, every dtype of every model stays within its tolerance at all {rows[0].Agreement.Positions.Count} positions (reference: CPU float32)."
            : $"On {o.Device}, {failed.Count} of {rows.Count} model × dtype comparisons leave their tolerance: {string.Join("; ", failed.Select(r => $"{r.Model} {r.DType} ({F(r.Agreement.MaxRelativeError, "E2")} > {F(r.Agreement.Tolerance, "E2")})"))}.");
        report.Section("Teacher-forced logits", "Both models read the same tokens one at a time through the KV cache, the path every experiment uses. "
            + "The relative error is max_k |z_cand,k − z_ref,k| / max_k |z_ref,k|; the tolerance is 8·u·√(L + 2) with the dtype's unit roundoff u and L blocks.");
        report.Checks([.. rows.Select(r => new Comparison($"{r.Model}, {r.DType}: max relative error", r.Agreement.MaxRelativeError, 0, r.Agreement.Tolerance))]);
        report.Figure("relative_error", exact.Count > 0 ? $"Identical to the reference at every position, so not drawn on the log axis: {string.Join(", ", exact)}." : null);
        report.Numbers([.. rows.Select(r => new KeyValue($"{r.Model}, {r.DType}",
            $"mean KL {F(r.Agreement.MeanKl, "E2")} nats; argmax agrees at {F(100 * r.Agreement.ArgmaxAgreement, "F1")} % of positions; greedy tokens agree for {F(r.GreedyAgreeSteps)} of {F(r.GreedySteps)} steps"))],
            "Distributions and greedy trajectories");
        report.Paragraph("A greedy trajectory in a coarser dtype can leave the reference's at the first near-tie of the top two logits and then follow "
            + "its own orbit: that is the butterfly effect of generation, not an error of the device, which is why the logit comparison above is teacher-forced.");

        foreach (var r in rows)
        {
            var key = $"{r.Model.Replace(' ', '_')}_{r.DType}";
            run.Headline($"{key}_max_relative_error", r.Agreement.MaxRelativeError);
            run.Headline($"{key}_error_over_tolerance", r.Agreement.MaxRelativeError / r.Agreement.Tolerance);
        }
        run.Headline("comparisons_within_tolerance", rows.Count(r => r.Agreement.WithinTolerance));
        run.Headline("comparisons", rows.Count);
    }
}

// repetition-attractors: where generation falls into loops and how firmly it is held there. (a) A batched sweep over
// prompts × decoding strategies × temperatures: the fraction of generations that end in a loop, period and onset,
// seq-rep-4, Holtzman's repetition %, the entropy early-warning lead time, and a basin map. (b) Self-reinforcement: the
// probability of repeating a sentence once more after n copies in the context. (c) Recurrence plots and RQA of top-residual
// trajectories. (d) The smallest residual perturbation, per layer, that escapes a greedy loop. Trained vs random init.
// References: Holtzman et al. (2020), ICLR ("The Curious Case of Neural Text Degeneration"); Xu et al. (2022), NeurIPS
// ("Learning to Break the Loop"); Welleck et al. (2020), ICLR (seq-rep-n); Marwan et al. (2007), Phys. Rep. 438:237 (RQA);
// Scheffer et al. (2009), Nature 461:53 (early-warning signals).
using System.Globalization;
using TrajectoryLab.Experiments;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Torch.Tokenizers;
using static TrajectoryLab.Experiments.RepetitionAttractors.RepetitionAttractorsMeasures;
using static TrajectoryLab.Experiments.Shared.DynamicsText;
using Fig = TrajectoryLab.Experiments.RepetitionAttractors.RepetitionAttractorsFigures;

namespace TrajectoryLab.Experiments.RepetitionAttractors;

/// <summary>Runs the loop sweep, the self-reinforcement test, the recurrence analysis and the escape search, and reports them.</summary>
/// <param name="paths">The project paths (to find the model).</param>
public sealed class RepetitionAttractorsExperiment(ProjectPaths paths) : Experiment<RepetitionAttractorsOptions>
{
    /// <inheritdoc/>
    public override string Kind => "repetition-attractors";

    /// <inheritdoc/>
    protected override void Run(RepetitionAttractorsOptions o, RunContext run)
    {
        using var loaded = run.Phase("load", () => ModelPair.Load(o.Model, paths)); // the models are freed when Run returns
        var (models, tokenizer, folder) = loaded;
        var spec = models[0].Model.Spec;
        if (o.EscapeLayers.Any(l => l > spec.NumLayers))
            throw new InvalidOperationException($"escapeLayers must lie in 0 … {spec.NumLayers} (the model has {spec.NumLayers} blocks)");
        var start = tokenizer.BosId ?? tokenizer.EosId;
        var prompts = PromptSource.Of(o.Prompts, o.PromptIds, tokenizer);
        var labels = models.Select(m => m.Label).ToArray();

        var generations = run.Phase("sweep", () => models.SelectMany(m => Sweep(m.Label, m.Model, prompts, o, run.Cancellation)).ToList());
        var reinforcement = run.Phase("self-reinforcement", () => models.SelectMany(m =>
            o.Sentences.Select((text, i) => SelfReinforcement(m.Label, m.Model, tokenizer, i, text, o.Repetitions))).ToList());
        var escapes = run.Phase("escape", () => o.EscapeLayers.Length == 0 ? [] : models.SelectMany(m =>
            generations.Where(g => g.Model == m.Label && g.Strategy == "greedy" && g.Cycle.IsLoop).Take(o.EscapeLoops)
                .SelectMany((g, i) => RepetitionAttractorsEscape.Search(m.Model, g, i, o, run.Cancellation))).ToList());

        var cells = Cells(o);
        var twin = labels.Length > 1 ? " and its random-init twin (same architecture, N(0, 0.02²) weights)" : "";
        run.Report.Lead(string.Create(CultureInfo.InvariantCulture,
            $"Repetition attractors of {o.Model.Name} ({folder}; {spec.NumLayers} layers, d_model {spec.HiddenSize}){twin}. {prompts.Length} prompts × {cells.Length} decoding cells " +
            $"({string.Join(", ", cells.Select(c => Fig.Cell(c.Strategy, c.Temperature)))}; top-k k = {o.TopK}, top-p p = {o.TopP}, min-p {o.MinP}), {o.Steps} tokens each, no stopping at EOS. " +
            $"A generation is in a loop when it ends in a cycle repeated at least {o.LoopRepeats} times (CycleDetector: the period with the earliest onset)."));
        Loops(o, run, labels, generations, tokenizer, spec);
        Reinforce(o, run, labels, reinforcement);
        Recurrences(o, run, labels, generations, tokenizer);
        Escape(o, run, labels, escapes, generations);
    }

    static string Text(ITextTokenizer tokenizer, int[] tokens) => tokenizer.Decode(tokens).Replace("\n", " ");

    static void Loops(RepetitionAttractorsOptions o, RunContext run, string[] labels, List<Generation> generations, ITextTokenizer tokenizer, Torch.Models.ModelSpec spec)
    {
        var report = run.Report;
        // θ per model: the quantile of the entropy at every step outside a loop.
        var theta = labels.ToDictionary(m => m, m => Quantile(generations.Where(g => g.Model == m)
            .SelectMany(g => g.Cycle.IsLoop ? g.Entropy[..g.Cycle.Onset] : g.Entropy), o.WarningQuantile));
        var warnings = generations.ToDictionary(g => g, g => g.Cycle.IsLoop ? EarlyWarning.LeadTime(g.Entropy, g.Cycle.Onset, theta[g.Model]) : (EarlyWarningResult?)null);
        run.Table("generations", ["model", "prompt", "strategy", "temperature", "loop", "period", "onset", "repeats", "seq_rep_4", "ends_in_repetition", "warned", "lead_time", "mean_entropy_nats", "text"],
            generations.Select(g => new object[] { g.Model, g.Prompt, g.Strategy, g.Temperature, g.Cycle.IsLoop, g.Cycle.Period, g.Cycle.Onset, g.Cycle.Repeats,
                RepetitionMetrics.SeqRepN(g.Tokens, 4).Value, RepetitionMetrics.EndsInRepetition(g.Tokens), warnings[g]?.Warned ?? false, warnings[g]?.LeadTime ?? -1, g.Entropy.Average(), Text(tokenizer, g.Tokens) }));
        run.Table("tokens", ["model", "prompt", "strategy", "temperature", "step", "token_id", "token", "entropy_nats"],
            generations.SelectMany(g => g.Tokens.Select((t, s) => new object[] { g.Model, g.Prompt, g.Strategy, g.Temperature, s, t, tokenizer.TokenText(t), g.Entropy[s] })));

        var summary = new List<object[]>();
        foreach (var m in labels) foreach (var c in Cells(o))
        {
            var group = generations.Where(g => g.Model == m && g.Strategy == c.Strategy && g.Temperature == c.Temperature).ToArray();
            var loops = group.Where(g => g.Cycle.IsLoop).ToArray();
            var warned = loops.Where(g => warnings[g]!.Value.Warned).ToArray();
            summary.Add([m, c.Strategy, c.Temperature, group.Length, loops.Length, (double)loops.Length / group.Length,
                Median(loops.Select(g => (double)g.Cycle.Period)), Median(loops.Select(g => (double)g.Cycle.Onset)),
                group.Average(g => RepetitionMetrics.SeqRepN(g.Tokens, 4).Value), RepetitionMetrics.RepetitionPercent([.. group.Select(g => g.Tokens)]).Value,
                warned.Length, warned.Length > 0 ? warned.Average(g => warnings[g]!.Value.LeadTime) : double.NaN]);
        }
        run.Table("summary", ["model", "strategy", "temperature", "generations", "loops", "loop_fraction", "median_period", "median_onset", "mean_seq_rep_4", "repetition_percent", "warned", "mean_lead_time"], summary);

        report.Section("Loops by decoding", "Per model and decoding cell: generations, how many end in a loop, the median period and onset (step) of those loops, " +
            "mean seq-rep-4 (1 − unique 4-grams / 4-grams; Welleck et al. 2020) and Holtzman et al.'s repetition % (the text ends in ≥ 3 copies of a phrase of ≥ 2 tokens).");
        report.Add(new Preformatted(Table(["model", "decoding", "loops", "median P", "median onset", "seq-rep-4", "rep %"],
            summary.Select(r => (IReadOnlyList<string>)[(string)r[0], Fig.Cell((string)r[1], (double)r[2]), $"{F((int)r[4])}/{F((int)r[3])}", Dash((double)r[6]), Dash((double)r[7]), F((double)r[8], "F3"), F((double)r[9], "F1")]))));
        foreach (var m in labels)
        {
            var mine = generations.Where(g => g.Model == m).ToArray();
            var byStrategy = o.Strategies.Select(s => $"{s} {F(mine.Count(g => g.Strategy == s && g.Cycle.IsLoop))}/{F(mine.Count(g => g.Strategy == s))}");
            var periods = mine.Where(g => g.Cycle.IsLoop).Select(g => g.Cycle.Period).ToArray();
            report.Paragraph($"{m}: {F(mine.Count(g => g.Cycle.IsLoop))} of {F(mine.Length)} generations end in a loop ({string.Join(", ", byStrategy)}); " +
                (periods.Length > 0 ? $"periods {F(periods.Min())} to {F(periods.Max())} (median {F(Median(periods.Select(p => (double)p)))}), period 1 in {F(periods.Count(p => p == 1))}." : "no loop at all."));
            foreach (var t in o.Temperatures)
            {
                var atT = mine.Where(g => g.Temperature == t).ToArray();
                if (atT.Length > 0) report.Paragraph($"{m}, {Temperature(t)}, all sampled strategies: {F(atT.Count(g => g.Cycle.IsLoop))}/{F(atT.Length)} in a loop.");
            }
        }
        report.Figure(run.Figure(Fig.LoopFraction(generations, labels, o)));
        foreach (var m in labels) report.Figure(run.Figure(Fig.Basin(m, [.. generations.Where(g => g.Model == m)], o)));
        var loopsBy = labels.ToDictionary(m => m, m => generations.Where(g => g.Model == m && g.Cycle.IsLoop).ToArray());
        report.Figure(run.Figure(Fig.Histogram("periods", loopsBy.ToDictionary(kv => kv.Key, kv => kv.Value.Select(g => (double)g.Cycle.Period).ToArray()), "period P (tokens)", Math.Max(1, o.Steps / o.LoopRepeats))));
        report.Figure(run.Figure(Fig.Histogram("onsets", loopsBy.ToDictionary(kv => kv.Key, kv => kv.Value.Select(g => (double)g.Cycle.Onset).ToArray()), "onset step", o.Steps)));

        report.Section("Entropy early warning", $"θ is the {F(o.WarningQuantile)} quantile of the model's entropy (T = 1) at every step outside a loop. A loop is warned when H_t < θ at its onset; " +
            "the lead time is the onset minus the first step of the run of steps with H_t < θ that reaches the onset (EarlyWarning.LeadTime).");
        foreach (var m in labels)
        {
            var loops = loopsBy[m];
            var warned = loops.Where(g => warnings[g]!.Value.Warned).ToArray();
            var inside = loops.SelectMany(g => g.Entropy[g.Cycle.Onset..]).DefaultIfEmpty(double.NaN).Average();
            var before = loops.SelectMany(g => g.Entropy[..g.Cycle.Onset]).DefaultIfEmpty(double.NaN).Average();
            report.Paragraph($"{m}: θ = {F(theta[m], "F3")} nats (ln|V| = {F(Math.Log(spec.VocabSize), "F3")}); {F(warned.Length)} of {F(loops.Length)} loops warned" +
                (warned.Length > 0 ? $", lead time median {F(Median(warned.Select(g => (double)warnings[g]!.Value.LeadTime)))} and mean {F(warned.Average(g => warnings[g]!.Value.LeadTime), "F1")} steps" : "") +
                $". Mean entropy {F(before, "F3")} nats before the onsets and {F(inside, "F3")} inside the loops.");
            run.Headline($"{m}: generations in a loop", $"{loops.Length}/{generations.Count(g => g.Model == m)}");
            run.Headline($"{m}: greedy generations in a loop", $"{loops.Count(g => g.Strategy == "greedy")}/{generations.Count(g => g.Model == m && g.Strategy == "greedy")}");
            run.Headline($"{m}: loops warned by entropy", $"{warned.Length}/{loops.Length}");
            run.Headline($"{m}: mean seq-rep-4", generations.Where(g => g.Model == m).Average(g => RepetitionMetrics.SeqRepN(g.Tokens, 4).Value),
                "not measured: a generation is shorter than 4 tokens");
        }
        var nan = generations.Sum(g => g.Entropy.Count(e => !double.IsFinite(e)));
        report.Paragraph($"Numerical breakdown: {F(nan)} of {F(generations.Sum(g => g.Entropy.Length))} step entropies are not finite.");
    }

    static void Reinforce(RepetitionAttractorsOptions o, RunContext run, string[] labels, List<Reinforcement> curves)
    {
        run.Table("self-reinforcement", ["model", "sentence", "n", "mean_token_probability", "fraction_rose_vs_n1"],
            curves.SelectMany(c => Enumerable.Range(0, o.Repetitions + 1).Select(k => new object[] { c.Model, c.Sentence, k, c.MeanProbability(k), k >= 1 ? c.FractionRose(k) : double.NaN })));
        run.Report.Section("Self-reinforcement", $"Each of {F(o.Sentences.Length)} sentence(s) written {F(o.Repetitions + 1)} times after BOS and read in one teacher-forced prefill; " +
            "at n copies already in the context, the mean probability of the tokens of copy n + 1 and the fraction of its tokens more probable than at n = 1 (Xu et al. 2022). n = 0 is the sentence read for the first time.");
        foreach (var m in labels)
        {
            var mine = curves.Where(c => c.Model == m).ToArray();
            if (mine.Length == 0) continue;
            double P(int k) => mine.Average(c => c.MeanProbability(k));
            var rose = mine.Average(c => c.FractionRose(o.Repetitions));
            run.Report.Paragraph($"{m}: mean token probability {F(P(0), "G3")} at n = 0, {F(P(1), "G3")} at n = 1 and {F(P(o.Repetitions), "G3")} at n = {F(o.Repetitions)}; " +
                $"at n = {F(o.Repetitions)}, {F(100 * rose, "F1")}% of the tokens are more probable than at n = 1.");
            run.Headline($"{m}: p(repeat) at n = 1", P(1), "not measured: a sentence has no tokens to score");
            run.Headline($"{m}: p(repeat) at n = {o.Repetitions}", P(o.Repetitions), "not measured: a sentence has no tokens to score");
        }
        if (curves.Count > 0)
        {
            run.Report.Figure(run.Figure(Fig.Reinforcement(curves, labels)));
            if (o.Repetitions >= 2) run.Report.Figure(run.Figure(Fig.Rose(curves, labels)));
        }
    }

    static void Recurrences(RepetitionAttractorsOptions o, RunContext run, string[] labels, List<Generation> generations, ITextTokenizer tokenizer)
    {
        var rqa = generations.Select(g => (G: g, R: Recurrence(g.States, o.RecurrenceQuantile))).ToList();
        run.Table("rqa", ["model", "prompt", "strategy", "temperature", "loop", "threshold", "recurrence_rate", "determinism", "mean_diagonal", "laminarity", "breakdown"],
            rqa.Select(x => new object[] { x.G.Model, x.G.Prompt, x.G.Strategy, x.G.Temperature, x.G.Cycle.IsLoop, x.R.Threshold, x.R.Rqa.RecurrenceRate, x.R.Rqa.Determinism, x.R.Rqa.MeanDiagonalLength, x.R.Rqa.Laminarity, x.R.Rqa.Breakdown.ToString() }));
        run.Report.Section("Recurrence of the hidden-state trajectory", $"States: h at the top of the stack at each generated step (the position whose logits chose the token). " +
            $"R_ij = 1 when ||h_i − h_j|| ≤ ε, with ε the {F(o.RecurrenceQuantile)} quantile of the trajectory's own pairwise distances (so RR ≈ {F(o.RecurrenceQuantile)} by construction); " +
            "RQA with ℓ_min = v_min = 2 and a Theiler window of 1 (Marwan et al. 2007). A loop of period P draws diagonal lines P apart.");
        foreach (var m in labels)
        {
            string Mean(bool loop, Func<RqaResult, double> f) => F(rqa.Where(x => x.G.Model == m && x.G.Cycle.IsLoop == loop).Select(x => f(x.R.Rqa)).Where(double.IsFinite).DefaultIfEmpty(double.NaN).Average(), "F3");
            run.Report.Paragraph($"{m}: mean DET {Mean(true, r => r.Determinism)} in looping and {Mean(false, r => r.Determinism)} in non-looping generations; mean LAM {Mean(true, r => r.Laminarity)} and {Mean(false, r => r.Laminarity)}; " +
                $"mean diagonal length {Mean(true, r => r.MeanDiagonalLength)} and {Mean(false, r => r.MeanDiagonalLength)}.");
            var looping = rqa.Where(x => x.G.Model == m && x.G.Cycle.IsLoop).OrderBy(x => x.G.Strategy != "greedy").FirstOrDefault();
            // the non-looping example: same prompt as the looping one when possible, then the least repetitive (seq-rep-4)
            var free = rqa.Where(x => x.G.Model == m && !x.G.Cycle.IsLoop).OrderBy(x => looping.G is null || x.G.Prompt != looping.G.Prompt)
                .ThenBy(x => RepetitionMetrics.SeqRepN(x.G.Tokens, 4).Value).FirstOrDefault();
            foreach (var (x, kind) in new[] { (looping, "looping"), (free, "non-looping") })
            {
                if (x.G is null) { run.Report.Paragraph($"{m}: no {kind} generation to plot."); continue; }
                var g = x.G;
                var reading = $"prompt {F(g.Prompt + 1)}, {Fig.Cell(g.Strategy, g.Temperature)}{(g.Cycle.IsLoop ? $", period {F(g.Cycle.Period)} from step {F(g.Cycle.Onset)}" : "")}: ε = {F(x.R.Threshold, "G3")}, " +
                    $"RR {F(x.R.Rqa.RecurrenceRate, "F3")}, DET {F(x.R.Rqa.Determinism, "F3")}, L {F(x.R.Rqa.MeanDiagonalLength, "F2")}, LAM {F(x.R.Rqa.Laminarity, "F3")}";
                run.Report.Paragraph($"{m}, {kind} example, {reading}.");
                run.Report.Add(new TokenStrip([.. g.Tokens.Select((t, s) => new Token(tokenizer.TokenText(t), g.Entropy[s]))]) { ValueLabel = "entropy of the model's distribution at that step (nats)" });
                run.Report.Figure(run.Figure(Fig.Recurrence($"recurrence-{Fig.Slug(m)}-{kind}", $"Recurrence plot, {m}, {kind}", x.R.Plot, reading)));
            }
        }
    }

    static void Escape(RepetitionAttractorsOptions o, RunContext run, string[] labels, List<EscapeThreshold> escapes, List<Generation> generations)
    {
        run.Table("escape", ["model", "loop", "prompt", "period", "layer", "direction", "epsilon_escape", "epsilon_stays", "reference_stays"],
            escapes.Select(e => new object[] { e.Model, e.Loop, e.Prompt, e.Period, e.Layer, e.Direction, e.Epsilon, e.Lower, e.ReferenceStays }));
        run.Report.Section("Perturbation escape", o.EscapeLayers.Length == 0 ? "Skipped (escapeLayers is empty)." :
            $"For the first {F(o.EscapeLoops)} greedy loop(s) of each model: the context is the prompt and the generation up to one full period past the onset; h_l at its last position is perturbed by ε·||h_l||·v " +
            $"along {F(o.EscapeDirections)} random orthonormal directions v, on a log grid of ε from {F(o.EscapeMinEpsilon)} to {F(o.EscapeMaxEpsilon)} ({F(o.EscapeGridPerDecade)} per decade), then {F(o.EscapeBisections)} bisection(s) in log ε per direction. " +
            "Each copy then decodes greedily for 2P tokens; it has escaped when its last P tokens are not the loop's cycle at any phase. ε* is the smallest escaping ε found; ∞ when none on the grid escapes.");
        if (escapes.Count == 0)
        {
            foreach (var m in labels)
                run.Report.Paragraph($"{m}: no escape search ({F(generations.Count(g => g.Model == m && g.Strategy == "greedy" && g.Cycle.IsLoop))} greedy loops).");
            return;
        }
        var rows = escapes.GroupBy(e => (e.Model, e.Loop, e.Layer)).Select(g => (IReadOnlyList<string>)[g.Key.Model, F(g.Key.Loop + 1), $"prompt {F(g.First().Prompt + 1)}, P = {F(g.First().Period)}",
            F(g.Key.Layer), Dash(Median(g.Select(e => e.Epsilon))), $"{F(g.Count(e => double.IsPositiveInfinity(e.Epsilon)))}/{F(g.Count())}"]);
        run.Report.Add(new Preformatted(Table(["model", "loop", "generation", "layer", "median ε*", "never escaped"], rows)));
        foreach (var m in labels)
        {
            var mine = escapes.Where(e => e.Model == m).ToArray();
            if (mine.Length == 0) { run.Report.Paragraph($"{m}: no greedy loop, no escape search."); continue; }
            var byLayer = o.EscapeLayers.Select(l => (Layer: l, Median: Median(mine.Where(e => e.Layer == l).Select(e => e.Epsilon)))).Where(x => double.IsFinite(x.Median)).ToArray();
            var easiest = byLayer.Length > 0 ? byLayer.MinBy(x => x.Median) : default;
            run.Report.Paragraph($"{m}: {F(mine.Count(e => double.IsFinite(e.Epsilon)))} of {F(mine.Length)} (loop, layer, direction) searches escape within ε ≤ {F(o.EscapeMaxEpsilon)}; median ε* over all of them {Dash(Median(mine.Select(e => e.Epsilon)))}" +
                (byLayer.Length > 0 ? $"; the layer with the smallest median ε* is h_{F(easiest.Layer)} ({F(easiest.Median, "G3")})" : "") +
                $". The unperturbed row stayed in its loop in {F(mine.Where(e => e.Direction == 0).Count(e => e.ReferenceStays))} of {F(mine.Count(e => e.Direction == 0))} runs.");
            run.Headline($"{m}: median escape ε*", Median(mine.Select(e => e.Epsilon)),
                $"not measured: most searches never escaped within ε ≤ {F(o.EscapeMaxEpsilon)}");
        }
        run.Report.Figure(run.Figure(Fig.Escape(escapes, o)));
    }

    static string Dash(double v) => double.IsFinite(v) ? F(v, "G3") : double.IsPositiveInfinity(v) ? "∞" : "—";
}

// The report of generate: each continuation coloured by entropy on its text, whether it fell into a loop (period, onset;
// CycleDetector on the tokens), the entropy curves, and the token and loop tables.
using System.Globalization;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Experiments.Generate;

/// <summary>One generated token (a row of tokens.csv).</summary>
public sealed record TokenRow(int Prompt, int Step, int TokenId, string Token, double EntropyNats, double SurprisalNats);

/// <summary>One continuation's loop verdict (a row of loops.csv); period 0 and onset −1 when there is no loop.</summary>
public sealed record LoopRow(int Prompt, string Text, string Loop, int Period, int Onset, double MeanEntropyNats);

/// <summary>Renders a <see cref="GenerateResult"/>.</summary>
public static class GenerateReport
{
    /// <summary>Writes the tables, figure, sections and headlines of <paramref name="result"/>.</summary>
    public static void Render(GenerateOptions o, GenerateResult result, RunContext run)
    {
        var m = result.Model;
        var report = run.Report;
        report.Lead(
            string.Create(
                CultureInfo.InvariantCulture,
                $"{result.Continuations.Count} prompt(s) continued for up to {o.MaxNewTokens} tokens "
                    + $"by {m.Name} ({m.Path}; {m.Layers} layers, d_model {m.Width}, "
                    + $"vocabulary {m.Vocabulary}) on {m.Device} in {m.DType}; "
                    + $"{(result.Greedy ? "greedy" : $"T = {o.Temperature}, top-k {o.TopK}, top-p {o.TopP}, min-p {o.MinP}")}, "
                    + $"repetition penalty {o.RepetitionPenalty}. "
                    + $"H_t is the entropy (nats) of the model's own next-token distribution at temperature 1; "
                    + $"surprisal is −ln p of the chosen token."
            )
        );

        var tokens = new List<TokenRow>();
        var loops = new List<LoopRow>();
        var curves = new List<FigureSeries>();
        for (var p = 0; p < result.Continuations.Count; p++)
        {
            var c = result.Continuations[p];
            var entropy = c.EntropyNats;
            for (var t = 0; t < c.Tokens.Length; t++)
                tokens.Add(new(p, t, c.Tokens[t], c.Texts[t], entropy[t], c.SurprisalNats[t]));
            var cycle = CycleDetector.Detect(c.Tokens, o.LoopRepeats);
            loops.Add(
                new(
                    p,
                    c.Prompt,
                    cycle.IsLoop ? "yes" : "no",
                    cycle.IsLoop ? cycle.Period : 0,
                    cycle.IsLoop ? cycle.Onset : -1,
                    entropy.Average()
                )
            );
            curves.Add(new LineSeries($"prompt {p + 1}", [.. Enumerable.Range(0, entropy.Length).Select(i => (double)i)], entropy));
            report.Section(
                $"Prompt {p + 1}: “{c.Prompt}”",
                cycle.IsLoop
                    ? Loop(cycle, entropy)
                    : string.Create(CultureInfo.InvariantCulture, $"No loop. Mean entropy {entropy.Average():F3} nats.")
            );
            report.Add(
                new TokenStrip([.. c.Texts.Select((text, i) => new Token(text, entropy[i]))])
                {
                    ValueLabel = "entropy of the distribution the token was chosen from (nats)",
                }
            );
        }

        run.Table("tokens", tokens);
        run.Table("loops", loops);
        run.Headline("mean token entropy (nats)", tokens.Average(r => r.EntropyNats));
        run.Headline("continuations in a loop", $"{loops.Count(l => l.Loop == "yes")}/{loops.Count}");
        report.Section(
            "Entropy along each continuation",
            "H_t at every generated position; a fall to near zero that stays there is the signature of a repetition attractor."
        );
        report.Figure(
            run.Figure(
                new Figure(
                    "entropy-per-step",
                    "Token entropy along each continuation",
                    new Axis("generated token"),
                    new Axis("H_t (nats)") { Min = 0 }
                )
                {
                    Series = curves,
                    Legend = curves.Count > 8 ? LegendPosition.None : LegendPosition.TopRight,
                }
            )
        );
    }

    static string Loop(Cycle cycle, double[] entropy) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"Fell into a loop of period {cycle.Period} from step {cycle.Onset} ({cycle.Repeats:F1} repeats). "
        )
        + (
            cycle.Onset > 0
                ? string.Create(CultureInfo.InvariantCulture, $"Mean entropy {entropy[..cycle.Onset].Average():F3} nats before the onset, ")
                : "The loop starts with the first generated token; mean entropy "
        )
        + string.Create(CultureInfo.InvariantCulture, $"{entropy[cycle.Onset..].Average():F3} nats inside the loop.");
}

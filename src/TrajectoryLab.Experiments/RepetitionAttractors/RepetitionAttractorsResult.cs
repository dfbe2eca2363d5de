// What repetition-attractors measured, per model (trained, and its random-init twin when asked): every generation of the
// sweep (tokens, how each reads, entropy, terminal cycle, the RQA of its top-residual trajectory), the self-reinforcement
// probabilities, the recurrence plots of the example generations the report shows, and the escape thresholds. The
// hidden states themselves are not kept: their recurrence is measured. Loop statistics, early warnings, tables and figures
// come from these numbers when the report is rendered.
// References: Holtzman et al. (2020), ICLR; Xu et al. (2022), NeurIPS; Marwan et al. (2007), Phys. Rep. 438:237.
using TrajectoryLab.Core.Metrics;

namespace TrajectoryLab.Experiments.RepetitionAttractors;

/// <summary>Everything the repetition-attractors report shows.</summary>
/// <param name="Model">The trained model (its name, folder, layers, d_model, vocabulary).</param>
/// <param name="Models">The model labels, "trained" first.</param>
/// <param name="Prompts">The number of prompts.</param>
/// <param name="Generations">The sweep, per model by prompt then decoding cell.</param>
/// <param name="Reinforcement">Per model, one curve per sentence.</param>
/// <param name="RecurrenceExamples">Per model, the looping and the non-looping generation whose recurrence plot is drawn
/// (absent when the model has no such generation).</param>
/// <param name="Escapes">Every escape threshold (empty when escapeLayers is empty or no greedy generation loops).</param>
public sealed record RepetitionAttractorsResult(
    ModelFacts Model,
    IReadOnlyList<string> Models,
    int Prompts,
    IReadOnlyList<SweepGeneration> Generations,
    IReadOnlyList<Reinforcement> Reinforcement,
    IReadOnlyList<RecurrenceExample> RecurrenceExamples,
    IReadOnlyList<EscapeThreshold> Escapes
);

/// <summary>One generation of the sweep.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Prompt">Prompt index.</param>
/// <param name="Strategy">Strategy name ("greedy", "top-k", ...).</param>
/// <param name="Temperature">Temperature (0 for greedy).</param>
/// <param name="Tokens">[Steps] generated ids.</param>
/// <param name="TokenTexts">[Steps] how each token reads.</param>
/// <param name="Text">The generated tokens decoded together.</param>
/// <param name="EntropyNats">[Steps] entropy (nats) of the model's distribution at T = 1 that each token was drawn from.</param>
/// <param name="Cycle">The terminal cycle of <paramref name="Tokens"/>.</param>
/// <param name="RecurrenceThreshold">ε of the recurrence plot of the top-residual states (a quantile of their pairwise
/// distances; NaN when none is finite).</param>
/// <param name="Rqa">The RQA of that plot.</param>
public sealed record SweepGeneration(
    string Model,
    int Prompt,
    string Strategy,
    double Temperature,
    int[] Tokens,
    string[] TokenTexts,
    string Text,
    double[] EntropyNats,
    Cycle Cycle,
    double RecurrenceThreshold,
    RqaResult Rqa
);

/// <summary>A recurrence plot the report draws.</summary>
/// <param name="Model">Model label.</param>
/// <param name="Kind">"looping" or "non-looping".</param>
/// <param name="Generation">Index into <see cref="RepetitionAttractorsResult.Generations"/>.</param>
/// <param name="Plot">[Steps][Steps] R_ij.</param>
public sealed record RecurrenceExample(string Model, string Kind, int Generation, bool[][] Plot);

/// <summary>Self-reinforcement of one sentence in one model.</summary>
/// <param name="Model">Model label.</param>
/// <param name="Sentence">Sentence index.</param>
/// <param name="Probabilities">[N + 1][m] p(token j of copy k | everything before), k = copies already in the context.</param>
public sealed record Reinforcement(string Model, int Sentence, double[][] Probabilities)
{
    /// <summary>Mean token probability of copy k.</summary>
    /// <param name="k">Copies already in the context.</param>
    public double MeanProbability(int k) => Probabilities[k].Average();

    /// <summary>Fraction of the sentence's tokens more probable at copy k than at copy 1 (one copy in the context).</summary>
    /// <param name="k">Copies already in the context.</param>
    public double FractionRose(int k) => Probabilities[k].Select((p, j) => p > Probabilities[1][j] ? 1.0 : 0.0).Average();
}

/// <summary>The escape threshold of one direction at one layer of one loop.</summary>
/// <param name="Model">Model label.</param>
/// <param name="Loop">Which of the model's searched loops (index into its greedy loops).</param>
/// <param name="Prompt">Prompt index of the loop's generation.</param>
/// <param name="Period">Loop period P.</param>
/// <param name="Layer">Perturbed residual site (0 = embeddings).</param>
/// <param name="Direction">Direction index.</param>
/// <param name="Epsilon">Smallest escaping ε found (bisection bracket's upper end); +∞ when no grid ε escapes; the grid's
/// smallest ε when that one already escapes.</param>
/// <param name="Lower">The bracket's lower end (largest ε seen to stay in the loop); NaN when the smallest grid ε escapes.</param>
/// <param name="ReferenceStays">Whether the unperturbed row repeated the loop over the window (it should: greedy).</param>
public sealed record EscapeThreshold(
    string Model,
    int Loop,
    int Prompt,
    int Period,
    int Layer,
    int Direction,
    double Epsilon,
    double Lower,
    bool ReferenceStays
);

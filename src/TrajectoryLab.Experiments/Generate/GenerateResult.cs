// What generate measured: per prompt, the tokens the model chose, how each reads, the entropy of the distribution each
// came from and its surprisal. Loops are found from the tokens when the report is rendered.
namespace TrajectoryLab.Experiments.Generate;

/// <summary>The continuations of every prompt.</summary>
/// <param name="Model">The model that generated them.</param>
/// <param name="Greedy">True when decoding was greedy.</param>
/// <param name="Continuations">One per prompt, in order.</param>
public sealed record GenerateResult(ModelFacts Model, bool Greedy, IReadOnlyList<GeneratedText> Continuations);

/// <summary>One prompt's continuation.</summary>
/// <param name="Prompt">The prompt as the report shows it (its text, or its ids).</param>
/// <param name="Tokens">[steps] the generated ids.</param>
/// <param name="Texts">[steps] how each token reads.</param>
/// <param name="EntropyNats">[steps] H of the next-token distribution (T = 1) each token was chosen from.</param>
/// <param name="SurprisalNats">[steps] −ln p of each chosen token under that distribution.</param>
public sealed record GeneratedText(string Prompt, int[] Tokens, string[] Texts, double[] EntropyNats, double[] SurprisalNats);

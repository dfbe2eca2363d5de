// What entropy-profile measured: per model, the entropy H_t and surprisal of every next-token distribution over each
// text read teacher-forced and over each of the model's own generations, with the tokens and how they read; and the
// trained model's logits at the lowest-, median- and highest-entropy positions of the first text, for the H(T) sweep.
// High-entropy positions, frequency ranks, correlations and the sweep itself are computed by the report.
// References: Shannon (1948), Bell Syst. Tech. J. 27; Wang et al. (2025), arXiv:2506.01939; Zipf (1949).
namespace TrajectoryLab.Experiments.EntropyProfile;

/// <summary>Everything entropy-profile measured.</summary>
/// <param name="Model">The trained model (its random-init twin has the same shape).</param>
/// <param name="Models">One per model, trained first.</param>
/// <param name="Swept">The trained model's logits at the positions of the first text the temperature sweep uses (empty
/// when no entropy there is finite).</param>
public sealed record EntropyProfileResult(ModelFacts Model, IReadOnlyList<ModelEntropy> Models, IReadOnlyList<SweptLogits> Swept);

/// <summary>What one model measured.</summary>
/// <param name="Label">"trained" or "random init".</param>
/// <param name="Read">Teacher-forced over each text, in order.</param>
/// <param name="Generated">Over each generation (texts shorter than the prompt have none).</param>
public sealed record ModelEntropy(string Label, IReadOnlyList<EntropyTrace> Read, IReadOnlyList<EntropyTrace> Generated);

/// <summary>One sequence's entropies: <c>Entropy[i]</c> is H of the distribution that chose <c>Tokens[Offset + i]</c>.</summary>
/// <param name="Name">The text (and "(generated)" for generations).</param>
/// <param name="Tokens">[tokens] all token ids, BOS first.</param>
/// <param name="TokenTexts">[tokens] how each token reads.</param>
/// <param name="Offset">Index of the first token whose predicting distribution was measured (1 for read text, the prompt
/// length for generations).</param>
/// <param name="Entropy">[predicted] H (nats) of the model's T = 1 next-token distribution.</param>
/// <param name="Surprisal">[predicted] −ln p of the token that came.</param>
/// <param name="Prompt">Tokens 1 … Offset − 1 (BOS excluded) decoded: the prompt of a generation, empty for read text.</param>
/// <param name="Preceding">[predicted] the up to four tokens before each predicted token (BOS excluded), decoded.</param>
public sealed record EntropyTrace(
    string Name,
    int[] Tokens,
    string[] TokenTexts,
    int Offset,
    double[] Entropy,
    double[] Surprisal,
    string Prompt,
    string[] Preceding
);

/// <summary>One row of next-token logits.</summary>
/// <param name="Index">Index i into the first text's <see cref="EntropyTrace.Entropy"/>: the distribution that predicted
/// token i + 1.</param>
/// <param name="Logits">[d_vocab] the logits.</param>
public sealed record SweptLogits(int Index, double[] Logits);

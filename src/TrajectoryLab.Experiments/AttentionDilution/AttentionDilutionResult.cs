// What attention-dilution measured: per model, the per-position means over texts of the normalised attention entropy
// (per layer and head), the raw entropy (per layer), the top residual's norm, the next-token entropy and surprisal; the
// effective and stable rank of the top residual over position windows; and the scores of the key–value retrieval probe.
// Window means, the before/after comparisons at the training context and the accuracies are computed by the report.
// References: Zhai et al. (2023), ICML (attention entropy); Press et al. (2022), ICLR (train short, test long);
// Liu et al. (2024), TACL 12 (lost in the middle); Roy & Vetterli (2007), EUSIPCO (effective rank).
using TrajectoryLab.Core.Metrics;

namespace TrajectoryLab.Experiments.AttentionDilution;

/// <summary>Everything attention-dilution measured.</summary>
/// <param name="Model">The trained model (its random-init twin has the same shape).</param>
/// <param name="Heads">Query heads per block.</param>
/// <param name="RopeTheta">Rotary base θ (0 for learned positions).</param>
/// <param name="ContextLength">config.json's max_position_embeddings: the context the model was trained with.</param>
/// <param name="TextTokens">[texts] tokens of each text read, BOS included; the position arrays hold their maximum.</param>
/// <param name="Profiles">One per model, trained first.</param>
public sealed record AttentionDilutionResult(
    ModelFacts Model,
    int Heads,
    double RopeTheta,
    int ContextLength,
    int[] TextTokens,
    IReadOnlyList<DilutionProfile> Profiles
);

/// <summary>What one model measured; every per-position value is the mean over the texts that reach that position, NaN
/// where no text gave a finite value.</summary>
/// <param name="Label">"trained" or "random init".</param>
/// <param name="NormalisedEntropy">[layer][head][position] H_t / ln t of query t.</param>
/// <param name="RawEntropyNats">[layer][position] H_t in nats, mean over heads.</param>
/// <param name="ResidualNorm">[position] ‖h‖ of the top residual.</param>
/// <param name="NextTokenEntropyNats">[position] entropy of the next-token distribution.</param>
/// <param name="SurprisalNats">[position] −ln p of the token that follows (NaN at the last position of the longest text).</param>
/// <param name="Ranks">Rank of the top residual over each window of consecutive positions of each text.</param>
/// <param name="Retrieval">Scores of the key–value probe, by position then trial (empty when the probe was skipped).</param>
/// <param name="BadRows">Attention rows with NaN or negative weights (their entropy is NaN and left out).</param>
public sealed record DilutionProfile(
    string Label,
    double[][][] NormalisedEntropy,
    double[][] RawEntropyNats,
    double[] ResidualNorm,
    double[] NextTokenEntropyNats,
    double[] SurprisalNats,
    IReadOnlyList<WindowRank> Ranks,
    IReadOnlyList<RetrievalScore> Retrieval,
    int BadRows
);

/// <summary>Rank measures of the top residual over one window of positions (Roy &amp; Vetterli 2007).</summary>
/// <param name="Text">The text's name.</param>
/// <param name="Start">First position of the window.</param>
/// <param name="EffectiveRank">exp of the entropy of the normalised singular values.</param>
/// <param name="StableRank">Σ s_k² / s_1².</param>
/// <param name="Breakdown">Why the ranks are undefined (NaN input, zero matrix), or none.</param>
public sealed record WindowRank(string Text, int Start, double EffectiveRank, double StableRank, MetricBreakdown Breakdown);

/// <summary>One scored query of the key–value probe.</summary>
/// <param name="Position">1-based position of the relevant pair in the context.</param>
/// <param name="Trial">Trial index.</param>
/// <param name="TopAmongValues">The correct value's first token has the highest probability among the context's values.</param>
/// <param name="TopOverall">… and the highest over the whole vocabulary.</param>
/// <param name="Share">p(correct) / Σ p(values of the context).</param>
/// <param name="Tokens">Length of the context in tokens (BOS and query included).</param>
public sealed record RetrievalScore(int Position, int Trial, bool TopAmongValues, bool TopOverall, double Share, int Tokens);

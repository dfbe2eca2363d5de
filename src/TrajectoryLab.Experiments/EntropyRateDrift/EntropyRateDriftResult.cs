// What entropy-rate-drift measured: per model the held-out cross-entropy, every generation with its per-token surprisal
// and entropy (of the distribution it was drawn from, and of the model itself), its terminal loop; the α fit of the
// lookahead calibration for the trained model.
// References: Braverman et al. (2020), "Calibration, Entropy Rates, and Memory in Language Models", ICML (arXiv:1906.05664).
using TrajectoryLab.Experiments.Shared;

namespace TrajectoryLab.Experiments.EntropyRateDrift;

/// <summary>Everything the entropy-rate-drift report shows.</summary>
/// <param name="Model">The trained model.</param>
/// <param name="Models">The model labels, "trained" first.</param>
/// <param name="Context">The training context (tokens).</param>
/// <param name="Generated">Tokens generated per generation.</param>
/// <param name="HeldOut">One per model.</param>
/// <param name="Generations">Per model the ancestral generations, then (trained) the calibrated ones.</param>
/// <param name="Calibration">The α fit of the trained model.</param>
public sealed record EntropyRateDriftResult(
    ModelFacts Model,
    IReadOnlyList<string> Models,
    int Context,
    int Generated,
    IReadOnlyList<HeldOutReading> HeldOut,
    IReadOnlyList<GenerationReading> Generations,
    CalibrationReading Calibration
);

/// <summary>The model's cross-entropy on the held-out texts.</summary>
/// <param name="Model">Model label.</param>
/// <param name="Texts">Texts read.</param>
/// <param name="Positions">Tokens predicted (every text's tokens after BOS).</param>
/// <param name="CrossEntropy">Mean −ln p̂(x_t | x_&lt;t), nats per token.</param>
/// <param name="TextCrossEntropies">[texts] the same per text.</param>
public sealed record HeldOutReading(string Model, int Texts, int Positions, double CrossEntropy, double[] TextCrossEntropies);

/// <summary>One generation.</summary>
/// <param name="Model">Model label.</param>
/// <param name="Sampler">"ancestral" (p̂ at T = 1) or "calibrated" (p̂_α*).</param>
/// <param name="Index">Generation index within its model and sampler.</param>
/// <param name="Prompt">Index of the held-out text whose opening prompted it.</param>
/// <param name="Tokens">[Generated] token ids.</param>
/// <param name="Surprisal">[Generated] −ln q(x_t), nats, q the distribution x_t was drawn from.</param>
/// <param name="Entropy">[Generated] H(q), nats.</param>
/// <param name="ModelSurprisal">[Generated] −ln p̂(x_t), the uncalibrated model's (equal to Surprisal for ancestral).</param>
/// <param name="ModelEntropy">[Generated] H(p̂(· | x_&lt;t)).</param>
/// <param name="Loop">Whether it ends in a terminal cycle (CycleDetector).</param>
/// <param name="Period">The cycle's period (0 without one).</param>
/// <param name="Onset">Where the cycle starts (−1 without one).</param>
/// <param name="EndsInRepetition">RepetitionMetrics.EndsInRepetition (a phrase of ≥ 2 tokens repeated at the end).</param>
public sealed record GenerationReading(
    string Model,
    string Sampler,
    int Index,
    int Prompt,
    int[] Tokens,
    double[] Surprisal,
    double[] Entropy,
    double[] ModelSurprisal,
    double[] ModelEntropy,
    bool Loop,
    int Period,
    int Onset,
    bool EndsInRepetition
);

/// <summary>The lookahead calibration's fit on the held-out texts (trained model).</summary>
/// <param name="TopK">k.</param>
/// <param name="Grid">α grid.</param>
/// <param name="CrossEntropies">CE(α) on the grid, nats per token.</param>
/// <param name="Alpha">α*.</param>
/// <param name="CrossEntropy">CE(α*).</param>
/// <param name="Uncalibrated">CE(0).</param>
/// <param name="AtGridEdge">Whether the grid minimum lay at an end of the grid.</param>
/// <param name="CandidateMass">Mean p̂ mass of the k candidates over the held-out positions.</param>
/// <param name="TargetInCandidates">Fraction of held-out tokens that were among the candidates.</param>
/// <param name="TextLookahead">Mean Ĥ − H̄ of the true tokens (0 for tokens outside the candidates).</param>
/// <param name="ModelLookahead">Mean E_p̂[Ĥ − H̄] over the same positions: the model's own expectation.</param>
public sealed record CalibrationReading(
    int TopK,
    double[] Grid,
    double[] CrossEntropies,
    double Alpha,
    double CrossEntropy,
    double Uncalibrated,
    bool AtGridEdge,
    double CandidateMass,
    double TargetInCandidates,
    double TextLookahead,
    double ModelLookahead
);

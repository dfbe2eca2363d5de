// What attention-sinks measured: per model, the attention mass on the first positions per layer × head and per query
// position, and per cache policy the surprisal of every position of the texts; the stepwise-decode check.
// Reference: Xiao et al. (2024), "Efficient Streaming Language Models with Attention Sinks", ICLR, arXiv:2309.17453.
using TrajectoryLab.Experiments.Shared;

namespace TrajectoryLab.Experiments.AttentionSinks;

/// <summary>The readings of one attention-sinks run.</summary>
/// <param name="Model">The trained model's facts.</param>
/// <param name="Context">C: the training context; patterns are read over the first C tokens.</param>
/// <param name="Budget">k + W of every policy.</param>
/// <param name="TextLengths">Tokens of each text, as read by the policies.</param>
/// <param name="PolicyProblem">Why no cache policy runs on this model (only full attention was read), or null.</param>
/// <param name="Mass">Attention mass on the first positions, per model.</param>
/// <param name="Policies">Surprisal per position under each policy, per model.</param>
/// <param name="Decode">The stepwise-decode check, or null when it was not run.</param>
public sealed record AttentionSinksResult(
    ModelFacts Model,
    int Context,
    int Budget,
    int[] TextLengths,
    string? PolicyProblem,
    IReadOnlyList<SinkMass> Mass,
    IReadOnlyList<PolicyReading> Policies,
    DecodeCheck? Decode
);

/// <summary>Where one model's attention goes at the start of the text (means over texts).</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Layers">Layers.</param>
/// <param name="Heads">Query heads.</param>
/// <param name="StartPositions">S: the first positions counted as the start.</param>
/// <param name="First">[layer · heads + head] mean over queries q ≥ S of the weight on position 0.</param>
/// <param name="Start">[layer · heads + head] mean over queries q ≥ S of the weight on positions 0 … S − 1.</param>
/// <param name="FirstByPosition">[layer][q] the weight of query q on position 0, mean over heads and texts.</param>
/// <param name="Uniform">Mean over queries q ≥ S of 1/(q + 1): the weight on position 0 if attention were uniform.</param>
public sealed record SinkMass(
    string Model,
    int Layers,
    int Heads,
    int StartPositions,
    double[] First,
    double[] Start,
    double[][] FirstByPosition,
    double Uniform
);

/// <summary>One model read under one cache policy.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Policy">"full", "window" or "k sinks".</param>
/// <param name="Sinks">k (0 for full attention and the plain window).</param>
/// <param name="Window">W, or 0 for full attention.</param>
/// <param name="Surprisal">[position] −ln p of the next token, mean over the texts that reach the position.</param>
/// <param name="Perplexity">exp of the mean surprisal over every position of every text (the paper's measure).</param>
/// <param name="PerplexityWithin">The same over positions &lt; C.</param>
/// <param name="PerplexityPast">The same over positions ≥ C; NaN when no text reaches C.</param>
public sealed record PolicyReading(
    string Model,
    string Policy,
    int Sinks,
    int Window,
    double[] Surprisal,
    double Perplexity,
    double PerplexityWithin,
    double PerplexityPast
);

/// <summary>The first text decoded one token per step through the streaming cache against one pass over it.</summary>
/// <param name="Policy">The policy checked.</param>
/// <param name="Positions">Surprisals compared.</param>
/// <param name="MaxDifference">max |Δ surprisal| in nats.</param>
public sealed record DecodeCheck(string Policy, int Positions, double MaxDifference);

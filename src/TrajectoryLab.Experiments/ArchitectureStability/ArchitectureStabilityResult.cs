// What architecture-stability measured, per model (trained and random-init twin of each architecture): raw enough that
// the report computes every interval from it and a later re-render needs no model.
using TrajectoryLab.Experiments.Shared;

namespace TrajectoryLab.Experiments.ArchitectureStability;

/// <summary>One model of the comparison.</summary>
/// <param name="Label">"brown-small (trained)", "brown-mamba (random init)", ….</param>
/// <param name="Architecture">config.json's model_type.</param>
/// <param name="Trained">False for a random-init twin.</param>
/// <param name="Parameters">Weights.</param>
/// <param name="Facts">Where it came from and its shape.</param>
/// <param name="StateSize">Floats of the generation map's state after <c>trainingContext</c> tokens (key–value cache, or SSM
/// state and convolution window), per sequence.</param>
public sealed record ComparedModel(string Label, string Architecture, bool Trained, long Parameters, ModelFacts Facts, long StateSize);

/// <summary>A teacher-forced spectrum of one model on one text.</summary>
/// <param name="Model">The model's label.</param>
/// <param name="Text">The text's name.</param>
/// <param name="Exponents">λ1 ≥ … ≥ λk per token; NaN on breakdown.</param>
/// <param name="TwoTrajectory">The two-trajectory λ1 (cross-check).</param>
/// <param name="ConvergenceStep">Steps of the running estimate.</param>
/// <param name="ConvergenceLambda1">Running λ1 at those steps.</param>
/// <param name="Breakdown">Why the spectrum stopped, or null.</param>
public sealed record SpectrumCell(
    string Model,
    string Text,
    double[] Exponents,
    double TwoTrajectory,
    double[] ConvergenceStep,
    double[] ConvergenceLambda1,
    string? Breakdown
);

/// <summary>One perturbed free-running copy.</summary>
/// <param name="Model">The model's label.</param>
/// <param name="Temperature">0 = greedy.</param>
/// <param name="Epsilon">Relative perturbation size.</param>
/// <param name="Prompt">Prompt index.</param>
/// <param name="Copy">Copy index.</param>
/// <param name="FirstDivergence">First generated step whose token differs from the reference's, or null.</param>
/// <param name="Breakdown">True when the copy overflowed before its tokens parted.</param>
public sealed record ButterflyCopy(
    string Model,
    double Temperature,
    double Epsilon,
    int Prompt,
    int Copy,
    int? FirstDivergence,
    bool Breakdown
);

/// <summary>The effect of substituting one token, read at later positions.</summary>
/// <param name="Model">The model's label.</param>
/// <param name="Text">Text index.</param>
/// <param name="Position">The substituted position t.</param>
/// <param name="Kl">[distances] KL(p(· | x) ‖ p(· | x with x_t replaced)) at position t + d, nats.</param>
public sealed record SubstitutionSample(string Model, int Text, int Position, double[] Kl);

/// <summary>The linear probe's accuracy at one distance.</summary>
/// <param name="Model">The model's label.</param>
/// <param name="Distance">d: token t is read from the top residual at t + d.</param>
/// <param name="Correct">Held-out samples predicted right.</param>
/// <param name="Tested">Held-out samples.</param>
/// <param name="Majority">Accuracy of always answering the most frequent class of the training samples.</param>
public sealed record ProbePoint(string Model, int Distance, int Correct, int Tested, double Majority);

/// <summary>One model's teacher-forced profile of one text over positions, and its greedy generation's loop positions.</summary>
/// <param name="Model">The model's label.</param>
/// <param name="Text">Text index.</param>
/// <param name="Entropy">[positions] next-token entropy, nats.</param>
/// <param name="Surprisal">[positions] −ln p(next token).</param>
/// <param name="Norm">[positions] ||h|| of the top residual.</param>
/// <param name="GeneratedLoopOnset">Where the greedy continuation of the text's prompt settles into a loop (position in the
/// whole sequence), or null when it does not.</param>
/// <param name="GeneratedLoopPeriod">Its period, or 0.</param>
public sealed record LengthProfile(
    string Model,
    int Text,
    double[] Entropy,
    double[] Surprisal,
    double[] Norm,
    int? GeneratedLoopOnset,
    int GeneratedLoopPeriod
);

/// <summary>Everything the experiment measured.</summary>
/// <param name="Models">The compared models, in order.</param>
/// <param name="Texts">Names of the texts.</param>
/// <param name="Spectra">Spectrum cells.</param>
/// <param name="Butterfly">Free-running copies.</param>
/// <param name="Distances">The memory distances.</param>
/// <param name="Substitutions">Substitution samples.</param>
/// <param name="Probe">Probe accuracies.</param>
/// <param name="Lengths">Length profiles.</param>
public sealed record ArchitectureStabilityResult(
    IReadOnlyList<ComparedModel> Models,
    IReadOnlyList<string> Texts,
    IReadOnlyList<SpectrumCell> Spectra,
    IReadOnlyList<ButterflyCopy> Butterfly,
    int[] Distances,
    IReadOnlyList<SubstitutionSample> Substitutions,
    IReadOnlyList<ProbePoint> Probe,
    IReadOnlyList<LengthProfile> Lengths
);

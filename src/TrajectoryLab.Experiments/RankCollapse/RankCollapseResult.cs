// What rank-collapse measured. The captured residual matrices ([positions × d_model] per site and trace) are too large to
// keep, so the measurement reduces them to the numbers the report reads: per trace and site the rank measures of every
// position window and of every growing prefix, of the whole text (with the token uniformity without the BOS row and over
// the later half) for the path ablations, and for greedy continuations the sliding-window effective rank of the top
// residual next to each step's entropy and tokens. Means, loop detection, tables and prose come from these in the report.
// References: Dong, Cordonnier & Loukas (2021), ICML (arXiv:2103.03404); Roy & Vetterli (2007), EUSIPCO (effective rank);
// Rudelson & Vershynin (2007), GAFA (stable rank).
namespace TrajectoryLab.Experiments.RankCollapse;

/// <summary>The rank measures of every trace of one run.</summary>
/// <param name="Model">The trained model (its architecture is the random twin's too).</param>
/// <param name="Models">Model labels, trained first.</param>
/// <param name="Prefixes">The prefix lengths measured: the options' prefixes that fit the shortest validation or generated
/// trace, distinct and ascending.</param>
/// <param name="Traces">Every trace in capture order: per model, per text, the validation prefill, the greedy continuation,
/// then the ablation variants.</param>
public sealed record RankCollapseResult(ModelFacts Model, string[] Models, int[] Prefixes, IReadOnlyList<TraceReadings> Traces);

/// <summary>The three measures of one [positions × d_model] matrix; NaN with a reason where Core reports a breakdown.</summary>
/// <param name="EffectiveRank">Roy–Vetterli effective rank of the uncentred rows.</param>
/// <param name="StableRank">‖X‖_F² / ‖X‖_2².</param>
/// <param name="Uniformity">‖X − 1x̄ᵀ‖_{1,∞} / ‖X‖_{1,∞} (0: all rows equal).</param>
/// <param name="Breakdown">The first breakdown reported, or null.</param>
public sealed record RankReading(double EffectiveRank, double StableRank, double Uniformity, string? Breakdown);

/// <summary>The measures of one prefill (or prefill + greedy steps) of one model over one text.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Source">"validation", "generated" or an ablation variant's name.</param>
/// <param name="Text">Text name.</param>
/// <param name="Positions">Positions captured (rows of every site's matrix).</param>
/// <param name="Windows">Validation and generated traces: [site][window] the measures of every full window of
/// <c>window</c> positions; else empty.</param>
/// <param name="PrefixReadings">Validation and generated traces: [prefix][site] the measures of positions 0 … n − 1 for
/// each n of <see cref="RankCollapseResult.Prefixes"/>; else empty.</param>
/// <param name="Whole">With ablations, for the validation trace and the ablation variants: [site] the measures of the whole
/// text; else empty.</param>
/// <param name="Trajectory">Generated traces: the continuation's trajectory; else null.</param>
public sealed record TraceReadings(
    string Model,
    string Source,
    string Text,
    int Positions,
    RankReading[][] Windows,
    RankReading[][] PrefixReadings,
    WholeText[] Whole,
    GeneratedTrajectory? Trajectory
);

/// <summary>The measures of the whole text at one site.</summary>
/// <param name="Reading">Measures of all positions.</param>
/// <param name="UniformityWithoutBos">Token uniformity of positions 1 … end (under the causal mask the BOS row attends only
/// to itself, so no mixing can pull it to the others).</param>
/// <param name="UniformityLaterHalf">Token uniformity of the later half of the positions (those rows average over at least
/// half the text).</param>
public sealed record WholeText(RankReading Reading, double UniformityWithoutBos, double UniformityLaterHalf);

/// <summary>A greedy continuation seen through its top residual.</summary>
/// <param name="Tokens">[steps] the generated token ids (the prompt left out).</param>
/// <param name="Texts">[steps] how each reads.</param>
/// <param name="EntropyNats">[steps] entropy (nats) of the distribution each generated token was chosen from.</param>
/// <param name="WindowEffectiveRank">[steps − w + 1] effective rank of the top residual over generated steps i … i + w − 1
/// (w = trajectoryWindow).</param>
public sealed record GeneratedTrajectory(int[] Tokens, string[] Texts, double[] EntropyNats, double[] WindowEffectiveRank);

// What rank-collapse-depth measured: for every configuration (path variant or residual layout), depth and seed, Dong et
// al.'s token-uniformity residual, the effective rank and the mean pairwise cosine of the residual stream at every site
// (h after s blocks, s = 0 … L) of a random-init model reading a random token sequence.
// References: Dong, Cordonnier & Loukas (2021), ICML (arXiv:2103.03404); Noci et al. (2022), NeurIPS (arXiv:2206.03126);
// Roy & Vetterli (2007), EUSIPCO (effective rank).
namespace TrajectoryLab.Experiments.RankCollapseDepth;

/// <summary>Every reading of one run.</summary>
/// <param name="Configurations">Configuration names in report order (the four path variants, then the post-norm layout and
/// the 1/√L-scaled pre-norm block).</param>
/// <param name="Depths">Depths measured, ascending.</param>
/// <param name="Seeds">Seeds used.</param>
/// <param name="Readings">One per configuration × depth × seed.</param>
public sealed record RankCollapseDepthResult(string[] Configurations, int[] Depths, int[] Seeds, IReadOnlyList<DepthReading> Readings);

/// <summary>One model's readings at every site.</summary>
/// <param name="Configuration">Configuration name.</param>
/// <param name="Depth">Blocks L.</param>
/// <param name="Seed">Seed of the weights and the token ids.</param>
/// <param name="Sites">[L + 1] readings at site s (the embeddings at s = 0, the top residual at s = L).</param>
public sealed record DepthReading(string Configuration, int Depth, int Seed, SiteReading[] Sites);

/// <summary>The measures of one [tokens × d_model] residual matrix X.</summary>
/// <param name="Residual">Dong et al.'s ‖X − 1x̄ᵀ‖_{1,∞} / ‖X‖_{1,∞} (Core TokenUniformity.Ratio); NaN with a breakdown.</param>
/// <param name="EffectiveRank">Roy–Vetterli effective rank (Core RankMeasures).</param>
/// <param name="Cosine">Mean pairwise cosine similarity of the token rows (Core TokenUniformity.MeanPairwiseCosine).</param>
/// <param name="Breakdown">The first breakdown Core reported, or null.</param>
public sealed record SiteReading(double Residual, double EffectiveRank, double Cosine, string? Breakdown);

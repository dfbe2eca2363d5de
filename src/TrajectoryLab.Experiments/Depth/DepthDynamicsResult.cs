// What depth-dynamics measured: per model, per text, per position, the local growth rates ln R_ii of every layer of the
// depth map h_l(p) → h_{l+1}(p) (Benettin's QR method over depth), their means over the layers (the depth exponents), the
// norms ||h_l|| and the next-token entropy; with the texts' tokens and how each reads, so that the report needs no model.
// References: Benettin et al. (1980), Meccanica 15:9; Dong, Cordonnier, Loukas (2021), arXiv:2103.03404.
using TrajectoryLab.Torch.Dynamics;

namespace TrajectoryLab.Experiments.Depth;

/// <summary>The depth profiles of every position of every text under every model.</summary>
/// <param name="Model">The trained model (the random-init twin has its architecture).</param>
/// <param name="Labels">The models measured, in order: "trained", then (if asked) "random init".</param>
/// <param name="Texts">The texts read, in order.</param>
/// <param name="Records">One per model × text × position, in that nesting order.</param>
public sealed record DepthDynamicsResult(
    ModelFacts Model,
    string[] Labels,
    IReadOnlyList<DepthText> Texts,
    IReadOnlyList<DepthRecord> Records
);

/// <summary>One text read.</summary>
/// <param name="Name">Where it came from (document id or "text N").</param>
/// <param name="Tokens">[positions] its token ids, BOS first.</param>
/// <param name="TokenTexts">[positions] how each token reads.</param>
public sealed record DepthText(string Name, int[] Tokens, string[] TokenTexts);

/// <summary>The depth profile of one position of one text under one model.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Text">Text index.</param>
/// <param name="Token">The token id at the position.</param>
/// <param name="Profile">What <see cref="DepthDynamics"/> measured there: ln R_ii per layer ([layers][k], nats; ±∞ where a
/// tangent collapsed or overflowed), the exponents ([k], nats/layer), ||h_l|| ([layers + 1]) and the next-token entropy (nats).</param>
public sealed record DepthRecord(string Model, int Text, int Token, DepthProfile Profile);

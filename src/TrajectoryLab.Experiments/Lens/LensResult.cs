// What lens measured: per model, per text (natural, the model's greedy continuation, text past the training length),
// both lenses' readings at every site × position (LensPass), the loop found in each continuation, and where each tuned
// lens came from with its training curve. Means, depth profiles and prose come from these in LensReport.
// References: nostalgebraist (2020); Belrose et al. (2023), arXiv:2303.08112.
using TrajectoryLab.Torch.Lens;

namespace TrajectoryLab.Experiments.Lens;

/// <summary>Everything the lens experiment read.</summary>
/// <param name="Model">The trained model (its architecture is the random twin's too).</param>
/// <param name="Models">Model labels, trained first.</param>
/// <param name="Context">The model's training context (max_position_embeddings).</param>
/// <param name="Traces">Every read text, per model.</param>
/// <param name="Fits">Per model, where its tuned lens came from (empty without a tuned lens).</param>
public sealed record LensResult(
    ModelFacts Model,
    string[] Models,
    int Context,
    IReadOnlyList<LensTrace> Traces,
    IReadOnlyList<LensFit> Fits
);

/// <summary>One text read by one model.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Source">"natural", "greedy" or "past context".</param>
/// <param name="Text">The text's name.</param>
/// <param name="Tokens">Its token ids, BOS first.</param>
/// <param name="Prompt">Greedy continuations: the prompt's length (the rest was generated); else the text's length.</param>
/// <param name="LoopOnset">Greedy continuations ending in a loop: the first position of the loop; else −1.</param>
/// <param name="LoopPeriod">The loop's period, or 0.</param>
/// <param name="Reading">Both lenses at every site and position.</param>
public sealed record LensTrace(
    string Model,
    string Source,
    string Text,
    int[] Tokens,
    int Prompt,
    int LoopOnset,
    int LoopPeriod,
    LensReading Reading
);

/// <summary>Where one model's tuned lens came from.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Origin">"read from PATH" or "trained in this run".</param>
/// <param name="Weights">The content hash (ModelContentHash) of the model it belongs to ("random init, seed N" for the twin).</param>
/// <param name="Curve">[step][site] mean KL(final ‖ lens) of each training step's batch, nats (the saved curve of a read lens).</param>
/// <param name="DistanceFromIdentity">[site] ‖A_s‖_F / √d_model.</param>
/// <param name="Windows">Training windows it was trained on.</param>
/// <param name="WindowTokens">Tokens per window.</param>
public sealed record LensFit(
    string Model,
    string Origin,
    string Weights,
    double[][] Curve,
    double[] DistanceFromIdentity,
    int Windows,
    int WindowTokens
);

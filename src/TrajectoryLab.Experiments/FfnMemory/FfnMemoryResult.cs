// What ffn-memory measured: the texts read (ids and how each token reads, for the report's snippets), every MLP unit's
// top-activating prefixes (its key's pattern) and its value's top tokens through the model's head, for the trained model
// and its random twin, and the bits per token of every text unablated and with each layer's MLP zero- or mean-ablated.
// Agreement rates, the shuffled baseline, intervals and tables come from these in the report.
// Reference: Geva, Schuster, Berant & Levy (2021), "Transformer Feed-Forward Layers Are Key-Value Memories", EMNLP.
using TrajectoryLab.Experiments.Shared;

namespace TrajectoryLab.Experiments.FfnMemory;

/// <summary>Every unit's key pattern and value tokens, and the code length under the MLP ablations.</summary>
/// <param name="Model">The trained model (its architecture is the random twin's too).</param>
/// <param name="Models">Model labels, trained first.</param>
/// <param name="MlpWidth">d_mlp, units per layer.</param>
/// <param name="Texts">The texts read, in order (a prefix's <see cref="UnitReading.Text"/> indexes them).</param>
/// <param name="Candidates">Prefixes each unit's top list was chosen from: positions 1 … n − 2 of every text (a prefix
/// needs a real token and a next token).</param>
/// <param name="Units">Per model, per layer, per unit (in that order), the unit's readings.</param>
/// <param name="Bits">The unablated code length of every model, then each ablation of the trained model.</param>
/// <param name="TokenTexts">How every token id of the model's vocabulary reads ("#id" beyond the tokenizer's).</param>
public sealed record FfnMemoryResult(
    ModelFacts Model,
    string[] Models,
    int MlpWidth,
    string[] TokenTexts,
    IReadOnlyList<TextTokens> Texts,
    long Candidates,
    IReadOnlyList<UnitReading> Units,
    IReadOnlyList<BitsReading> Bits
);

/// <summary>One text as read.</summary>
/// <param name="Name">Document id or "text N".</param>
/// <param name="Ids">Token ids, BOS first.</param>
/// <param name="Pieces">How each token reads (the tokenizer's text of each id).</param>
public sealed record TextTokens(string Name, int[] Ids, string[] Pieces);

/// <summary>One MLP unit i of one layer: its key's top-activating prefixes and its value's top tokens.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Layer">Block index.</param>
/// <param name="Unit">Unit index i in [0, d_mlp).</param>
/// <param name="ValueTop">The value's top tokens, most likely first: the ids of the largest entries of head(v_i), v_i =
/// row i of W_out (stored [d_mlp, d_model]) read by the model's head (final-norm weight, then the unembedding).</param>
/// <param name="ValueTopLogit">Those entries of head(v_i).</param>
/// <param name="Activation">The prefixes' hook_post value of the unit (its memory coefficient), largest first.</param>
/// <param name="Text">Each prefix's text index.</param>
/// <param name="Position">Each prefix's last position (the trigger token's).</param>
/// <param name="Next">Each prefix's next token (the token at Position + 1).</param>
public sealed record UnitReading(
    string Model,
    int Layer,
    int Unit,
    int[] ValueTop,
    double[] ValueTopLogit,
    double[] Activation,
    int[] Text,
    int[] Position,
    int[] Next
);

/// <summary>The code length of every text under one condition.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Ablation">"none", "zero" (hook_mlp_out of <paramref name="Layer"/> set to 0 at every position) or
/// "mean" (set to its mean over every position of the texts, from the unablated pass).</param>
/// <param name="Layer">The ablated layer, or −1 for none.</param>
/// <param name="TextBits">Per text, Σ −log₂ p(token t + 1 | tokens ≤ t) over t = 0 … n − 2.</param>
/// <param name="TextTokens">Per text, the tokens predicted (n − 1).</param>
public sealed record BitsReading(string Model, string Ablation, int Layer, double[] TextBits, int[] TextTokens);

// The sizes every model family can be shaped from — width, depth, heads, MLP width, vocabulary, context — so that one
// set of numbers (llama2.c's stories15M: dim 288, 6 layers, 6 heads, hidden 768, vocab 32000) gives a comparable model
// of each architecture, each with its own distinctive design (ModelSpec.Shaped, IModelFamily.Shaped). Used by the
// per-architecture decode benchmark and the every-architecture end-to-end tests.
namespace TrajectoryLab.Torch.Models;

/// <summary>Family-neutral sizes of a decoder; each family reads the ones it has (a Mamba has no heads and no MLP).</summary>
/// <param name="VocabSize">Token ids.</param>
/// <param name="Dim">d_model, the width of the residual stream.</param>
/// <param name="Layers">Blocks.</param>
/// <param name="Heads">Query heads; d_head = <paramref name="Dim"/> / heads in every attention family.</param>
/// <param name="Hidden">d_mlp (the gated MLPs' width, GPT-2's and GPT-NeoX's inner width).</param>
/// <param name="Context">max_position_embeddings (GPT-2's n_positions, a hard limit).</param>
/// <param name="KvHeads">Key/value heads for the families with grouped-query attention; null for one per query head.
/// GPT-2 and GPT-NeoX always have one per query head.</param>
/// <param name="Tied">The head reuses the embedding matrix (stories15M ties; the comparison keeps it the same for all).</param>
/// <param name="Window">The sliding window of the families that have one (mistral, phi3, gemma2, gemma3_text); null for
/// half the context.</param>
public sealed record ModelSizes(
    int VocabSize,
    int Dim,
    int Layers,
    int Heads,
    int Hidden,
    int Context,
    int? KvHeads = null,
    bool Tied = true,
    int? Window = null
)
{
    /// <summary>d_head of the attention families.</summary>
    public int HeadDim => Heads > 0 ? Dim / Heads : 0;

    /// <summary>Key/value heads, <see cref="Heads"/> when none are given.</summary>
    public int KvHeadCount => KvHeads ?? Heads;

    /// <summary>The sliding window of the families that have one: <see cref="Window"/>, else half the context (at least 1).</summary>
    public int SlidingWindow => Window ?? Math.Max(1, Context / 2);

    /// <summary>The first <paramref name="fraction"/> of d_head rounded down to an even count (rotary embeddings rotate pairs),
    /// at least 2.</summary>
    public int RotaryDims(double fraction) => Math.Max(2, (int)(HeadDim * fraction) / 2 * 2);

    /// <summary>The Llama of these sizes (no window), the base that the Llama-style families change.</summary>
    public ModelSpec Llama() =>
        ModelSpec.Llama(VocabSize, Dim, Hidden, Layers, Heads, KvHeadCount, context: Context, tieWordEmbeddings: Tied);
}

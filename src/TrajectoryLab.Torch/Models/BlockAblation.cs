// Which paths of every decoder block a forward pass keeps, for the path ablations of Dong, Cordonnier & Loukas (2021),
// "Attention is not all you need: pure attention loses rank doubly exponentially with depth", ICML (arXiv:2103.03404):
// pure attention (no skip, no MLP), attention + skip, attention + MLP, and the full block.
namespace TrajectoryLab.Torch.Models;

/// <summary>The paths of every block a forward pass keeps; <see cref="Full"/> is the unchanged model.</summary>
/// <param name="Skip">Keep the skip (residual) connections: resid_mid = resid_pre + attn_out and resid_post = resid_mid +
/// mlp_out. Without them resid_mid = attn_out and resid_post = mlp_out (or resid_mid when the MLP is removed too).</param>
/// <param name="Mlp">Keep the MLP sublayer; without it hook_mlp_out carries zeros and resid_post = resid_mid.</param>
public sealed record BlockAblation(bool Skip, bool Mlp)
{
    /// <summary>The unchanged block (both paths kept).</summary>
    public static BlockAblation Full { get; } = new(true, true);

    /// <summary>Attention only: no skip connections, no MLP (Dong et al.'s self-attention network).</summary>
    public static BlockAblation PureAttention { get; } = new(false, false);

    /// <summary>Attention with skip connections, no MLP.</summary>
    public static BlockAblation AttentionSkip { get; } = new(true, false);

    /// <summary>Attention and MLP, no skip connections.</summary>
    public static BlockAblation AttentionMlp { get; } = new(false, true);

    /// <summary>Sets <paramref name="ablation"/> on every block of <paramref name="model"/> (until set back to <see
    /// cref="Full"/>).</summary>
    /// <param name="model">The model whose blocks change.</param>
    /// <param name="ablation">The paths kept.</param>
    internal static void Apply(CausalLm model, BlockAblation ablation)
    {
        foreach (var block in model.modules().OfType<DecoderBlock>())
            block.Ablation = ablation;
    }
}

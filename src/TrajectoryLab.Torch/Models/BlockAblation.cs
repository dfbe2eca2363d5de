// Which paths of every decoder block a forward pass keeps, for the path ablations of Dong, Cordonnier & Loukas (2021),
// "Attention is not all you need: pure attention loses rank doubly exponentially with depth", ICML (arXiv:2103.03404):
// pure attention (no skip, no MLP), attention + skip, attention + MLP, and the full block; and the residual-branch scale
// α of x + α f(x) (α = 1/√L cures rank collapse at initialisation: Noci et al. 2022, "Signal propagation in transformers:
// theoretical perspectives and the role of rank collapse", NeurIPS, arXiv:2206.03126).
namespace TrajectoryLab.Torch.Models;

/// <summary>The paths of every block a forward pass keeps; <see cref="Full"/> is the unchanged model.</summary>
/// <param name="Skip">Keep the skip (residual) connections: resid_mid = resid_pre + attn_out and resid_post = resid_mid +
/// mlp_out. Without them resid_mid = attn_out and resid_post = mlp_out (or resid_mid when the MLP is removed too).</param>
/// <param name="Mlp">Keep the MLP sublayer; without it hook_mlp_out carries zeros and resid_post = resid_mid.</param>
/// <param name="BranchScale">α multiplying each sublayer's output before it joins the stream (hook_attn_out and hook_mlp_out
/// see α·output): resid_mid = resid_pre + α attn, resid_post = resid_mid + α mlp. 1 (the default) is the unchanged block.</param>
public sealed record BlockAblation(bool Skip, bool Mlp, double BranchScale = 1.0)
{
    /// <summary>The unchanged block (both paths kept).</summary>
    public static BlockAblation Full { get; } = new(true, true);

    /// <summary>Attention only: no skip connections, no MLP (Dong et al.'s self-attention network).</summary>
    public static BlockAblation PureAttention { get; } = new(false, false);

    /// <summary>Attention with skip connections, no MLP.</summary>
    public static BlockAblation AttentionSkip { get; } = new(true, false);

    /// <summary>Attention and MLP, no skip connections.</summary>
    public static BlockAblation AttentionMlp { get; } = new(false, true);

    /// <summary>These paths with every residual branch scaled by <paramref name="scale"/> (e.g. 1/√L).</summary>
    /// <param name="scale">α; finite and positive.</param>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="scale"/> is not finite and positive.</exception>
    public BlockAblation Scaled(double scale) =>
        double.IsFinite(scale) && scale > 0
            ? this with
            {
                BranchScale = scale,
            }
            : throw new ArgumentOutOfRangeException(nameof(scale), scale, "the branch scale must be finite and positive");

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

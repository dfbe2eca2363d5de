// Where a language model's hidden state h_l is read and perturbed: the residual stream after l blocks, at the newest
// position. l = 0 is the stream entering block 0 (embeddings, plus learned positions for GPT-2), l = n_layers the
// stream leaving the last block (before the final norm). The depth map is h_l → h_{l+1}; the generation map reads
// h_l of the newest position. Reference: TransformerLens hook names (HookNames.cs).
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Dynamics;

/// <summary>Residual-stream sites, numbered by how many blocks the stream has passed.</summary>
public static class ResidualSite
{
    /// <summary>The hook point of h_<paramref name="layer"/>: blocks.0.hook_resid_pre for 0, else
    /// blocks.{layer−1}.hook_resid_post.</summary>
    /// <param name="layer">0 … <paramref name="numLayers"/>.</param>
    /// <param name="numLayers">Blocks of the model.</param>
    /// <exception cref="ArgumentOutOfRangeException">The layer is outside 0 … numLayers.</exception>
    public static string HookName(int layer, int numLayers)
    {
        if (layer < 0 || layer > numLayers)
            throw new ArgumentOutOfRangeException(
                nameof(layer),
                $"residual site {layer} is outside 0 … {numLayers} (the model has {numLayers} blocks)"
            );
        return layer == 0 ? HookNames.ResidPre(0) : HookNames.ResidPost(layer - 1);
    }
}

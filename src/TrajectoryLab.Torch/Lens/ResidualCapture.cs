// One cache-free, gradient-free forward pass over a batch of token windows that keeps the residual stream at every site
// (s = 0: entering block 0; s = l + 1: leaving block l) and the logits: what both lenses read, and what tuned-lens
// training fits to. Reference: TransformerLens hook names (HookNames.cs); ResidualSite.cs numbers the sites.
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Lens;

/// <summary>The residual stream at every site and the final logits of one pass.</summary>
/// <param name="Residuals">[n_layers + 1] of [batch, pos, d_model].</param>
/// <param name="Logits">[batch, pos, d_vocab], the model's own (hook_logits).</param>
internal sealed record ResidualPass(Tensor[] Residuals, Tensor Logits);

/// <summary>Runs the pass; the tensors belong to the caller's dispose scope.</summary>
internal static class ResidualCapture
{
    /// <summary>Reads <paramref name="ids"/> ([batch, pos] int64, position 0 first) under no_grad.</summary>
    /// <param name="model">The model (held for the pass; its hooks are removed after).</param>
    /// <param name="ids">[batch, pos] int64 on the model's device.</param>
    public static ResidualPass Run(LanguageModel model, Tensor ids)
    {
        var lm = model.Model;
        var sites = lm.Spec.NumLayers + 1;
        var captured = new Tensor?[sites];
        var owner = new object();
        model.Acquire(owner);
        var hooks = new List<Action>();
        try
        {
            for (var s = 0; s < sites; s++)
            {
                var site = s;
                var hook = lm.Hook(ResidualSite.HookName(s, sites - 1))
                    .register_forward_hook(
                        (_, _, output) =>
                        {
                            captured[site] = output.detach().clone(); // [batch, pos, d_model]
                            return output;
                        }
                    );
                hooks.Add(hook.remove);
            }
            using var noGrad = no_grad();
            var logits = lm.Forward(ids, null, 0, lastPositionOnly: false); // [batch, pos, d_vocab]
            return new ResidualPass([.. captured.Select(c => c!)], logits);
        }
        finally
        {
            foreach (var remove in hooks)
                remove();
            model.Release(owner);
        }
    }
}

// An identity module marking a named activation; TorchSharp forward hooks registered on it capture or replace
// that activation. Reference: TransformerLens HookPoint.
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>Identity module whose hooks see (and may replace) one activation.</summary>
/// <remarks>Hooks fire only through <c>call</c>, which <see cref="Apply"/> makes whenever a hook is registered.</remarks>
internal sealed class HookPoint() : Module<Tensor, Tensor>("HookPoint")
{
    /// <summary>True when any forward or pre-forward hook is registered.</summary>
    public bool HasHooks => post_hooks.Count + pre_hooks.Count + module_post_hooks.Count + module_pre_hooks.Count > 0;

    /// <summary>Runs the hooks on <paramref name="x"/> when any is registered, else returns x itself: the model reaches
    /// every hook point through this, so an unhooked point costs no module call (decoding makes ~80 per token).</summary>
    public Tensor Apply(Tensor x) => HasHooks ? call(x) : x;

    /// <summary>Returns an alias of <paramref name="x"/> (never the input object itself).</summary>
    public override Tensor forward(Tensor x) => x.alias();
}

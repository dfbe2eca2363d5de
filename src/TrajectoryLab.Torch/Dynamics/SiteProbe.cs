// A forward hook on one residual site that, at every pass, lets its owner change the rows' activation at the pass's
// last position (add a deviation, re-orthonormalise deviations) and then copies that activation to CPU in double
// precision. Differences of float32 rows taken in double are exact, so deviations lose nothing beyond the model's own
// rounding. One probe per site; removed on Dispose.
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Dynamics;

/// <summary>Reads (and optionally edits) h at one site, newest position, for every row of the batch.</summary>
internal sealed class SiteProbe : IDisposable
{
    private readonly Action _remove;

    /// <param name="model">The model to hook.</param>
    /// <param name="hookName">The site's hook point.</param>
    /// <param name="edit">Called with the activation at the last position, [rows, d_model], a tensor the probe owns (edit it
    /// in place), before it is recorded; null to only read.</param>
    public SiteProbe(CausalLm model, string hookName, Action<Tensor>? edit = null)
    {
        var hook = model.Hook(hookName).register_forward_hook((_, _, output) => OnForward(output, edit));
        _remove = hook.remove;
    }

    /// <summary>[rows][d_model] the activation at the newest position in the pass seen last (after the edit).</summary>
    public double[][] Last { get; private set; } = [];

    private Tensor OnForward(Tensor output, Action<Tensor>? edit)
    {
        var result = output;
        if (edit is not null)
        {
            result = output.clone(); // never write into the model's own tensor
            edit(result.select(1, -1)); // [rows, d_model], a view into result
        }
        var last = result.select(1, -1).detach().to_type(ScalarType.Float64).cpu().contiguous(); // [rows, d_model]
        var rows = (int)last.shape[0];
        var width = (int)last.shape[1];
        var flat = last.data<double>().ToArray();
        Last = [.. Enumerable.Range(0, rows).Select(r => flat.AsSpan(r * width, width).ToArray())];
        return result;
    }

    /// <summary>Removes the hook.</summary>
    public void Dispose() => _remove();
}

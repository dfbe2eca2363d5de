// The forward hooks of one generation session: at each hook point it was asked about, apply the interventions that
// fire in the current pass, then copy the (possibly changed) activation to CPU if it is captured. One hook per hook
// point, registered on the HookPoint module (hooks fire only through call()), removed on Dispose.
// In a left-padded session (docs/padding.md) interventions target each row's own positions, and a captured activation
// keeps the batch's columns, with the entries of a row's pad columns set to 0.
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Generation;

/// <summary>Captures and interventions of a session over a batch of <c>batch</c> rows.</summary>
internal sealed class SessionHooks : IDisposable
{
    private readonly CausalLm _model;
    private readonly int[] _leftPad; // [batch]
    private readonly HashSet<string> _capture;
    private readonly Dictionary<string, Action> _removers = new(StringComparer.Ordinal);
    private readonly List<ActiveIntervention> _interventions = [];
    private Dictionary<string, Activation> _captured = new(StringComparer.Ordinal);
    private (int Step, long StartPos, long Count) _pass;

    /// <param name="model">The model whose hook points are hooked.</param>
    /// <param name="leftPad">[batch] each row's left padding (all 0 in an unpadded session).</param>
    /// <param name="capture">Hook names to copy out at every step.</param>
    /// <exception cref="ArgumentException">A name is not a hook point of the model.</exception>
    public SessionHooks(CausalLm model, IReadOnlyList<int> leftPad, IEnumerable<string> capture)
    {
        _model = model;
        _leftPad = [.. leftPad];
        _capture = new HashSet<string>(capture, StringComparer.Ordinal);
        try
        {
            foreach (var name in _capture)
                Attach(name);
        }
        catch
        {
            Dispose();
            throw;
        }
    }

    /// <summary>Activates <paramref name="intervention"/> from the next forward pass on.</summary>
    /// <exception cref="ArgumentException">Unknown hook, attention-pattern hook, bad rows, or vectors of the wrong count.</exception>
    public void Add(Intervention intervention)
    {
        var active = new ActiveIntervention(intervention, _leftPad, _model.DType, _model.Device);
        try
        {
            Attach(intervention.Hook);
        }
        catch
        {
            active.Dispose();
            throw;
        }
        _interventions.Add(active);
    }

    /// <summary>Starts the forward pass of step <paramref name="step"/> over positions startPos … startPos + count - 1;
    /// frees interventions that can no longer fire.</summary>
    public void Begin(int step, long startPos, long count)
    {
        _pass = (step, startPos, count);
        _captured = new Dictionary<string, Activation>(StringComparer.Ordinal);
        foreach (var expired in _interventions.Where(a => a.Expired(step, startPos)).ToList())
        {
            expired.Dispose();
            _interventions.Remove(expired);
        }
    }

    /// <summary>The activations captured in the pass begun last.</summary>
    public IReadOnlyDictionary<string, Activation> End() => _captured;

    private void Attach(string name)
    {
        if (_removers.ContainsKey(name))
            return;
        var hook = _model.Hook(name).register_forward_hook((_, _, output) => OnForward(name, output));
        _removers[name] = hook.remove;
    }

    /// <param name="name">The hook point's name.</param>
    /// <param name="output">[batch, ...] the hook point's activation.</param>
    /// <returns>[batch, ...] the activation after the interventions that fire (output itself when none does).</returns>
    private Tensor OnForward(string name, Tensor output)
    {
        var result = output;
        foreach (var active in _interventions)
        {
            if (active.Intervention.Hook != name)
                continue;
            // The activation covers the pass's last `covered` columns: all of them, or one at the head when the pass
            // runs it at the last position only (GenerationOptions.PromptLogits).
            var covered = output.shape[1];
            foreach (var (group, index) in active.Targets(_pass.Step, _pass.StartPos + _pass.Count - covered, covered))
            {
                if (ReferenceEquals(result, output))
                    result = output.clone(); // never write into the model's own tensor
                active.Apply(result, group, index);
            }
        }
        if (_capture.Contains(name))
        {
            var axis = name.EndsWith(".hook_pattern", StringComparison.Ordinal) ? 2 : 1; // the query position's axis
            var covered = result.shape[axis];
            _captured[name] = Copy(result, axis, _pass.StartPos + _pass.Count - covered);
        }
        return result;
    }

    /// <param name="activation">[batch, ...] with the pass's columns on <paramref name="axis"/>.</param>
    /// <param name="axis">The axis of query positions (1, or 2 for an attention pattern).</param>
    /// <param name="first">The column of index 0 on that axis.</param>
    /// <returns>Each row's values; in a padded row, those at its pad columns are 0.</returns>
    private Activation Copy(Tensor activation, int axis, long first)
    {
        var batch = (int)activation.shape[0];
        var flat = activation.detach().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray(); // [batch * ...]
        var per = flat.Length / batch;
        var shape = activation.shape.Skip(1).Select(d => (int)d).ToArray(); // [...]
        var count = shape.Length >= axis ? shape[axis - 1] : 0; // columns on the axis
        var outer = shape.Take(axis - 1).Aggregate(1, (a, d) => a * d); // values before the axis (heads)
        var inner = per / Math.Max(1, outer * count); // values per column after it
        var rows = new float[batch][];
        for (var b = 0; b < batch; b++)
        {
            rows[b] = flat.AsSpan(b * per, per).ToArray();
            var pads = (int)Math.Clamp(_leftPad[b] - first, 0, count); // this pass's pad columns of row b
            for (var o = 0; o < outer && pads > 0; o++)
                rows[b].AsSpan(o * count * inner, pads * inner).Clear();
        }
        return new Activation(shape, rows);
    }

    /// <summary>Removes the hooks and frees the interventions' tensors.</summary>
    public void Dispose()
    {
        foreach (var remove in _removers.Values)
            remove();
        _removers.Clear();
        foreach (var active in _interventions)
            active.Dispose();
        _interventions.Clear();
    }
}

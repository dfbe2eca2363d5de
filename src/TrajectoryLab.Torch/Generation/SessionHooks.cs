// The forward hooks of one generation session: at each hook point it was asked about, apply the interventions that
// fire in the current pass, then copy the (possibly changed) activation to CPU if it is captured. One hook per hook
// point, registered on the HookPoint module (hooks fire only through call()), removed on Dispose.
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Generation;

/// <summary>Captures and interventions of a session over a batch of <c>batch</c> rows.</summary>
internal sealed class SessionHooks : IDisposable
{
    private readonly CausalLm _model;
    private readonly int _batch;
    private readonly HashSet<string> _capture;
    private readonly Dictionary<string, Action> _removers = new(StringComparer.Ordinal);
    private readonly List<ActiveIntervention> _interventions = [];
    private Dictionary<string, Activation> _captured = new(StringComparer.Ordinal);
    private (int Step, long StartPos, long Count) _pass;

    /// <param name="model">The model whose hook points are hooked.</param>
    /// <param name="batch">Rows of the session.</param>
    /// <param name="capture">Hook names to copy out at every step.</param>
    /// <exception cref="ArgumentException">A name is not a hook point of the model.</exception>
    public SessionHooks(CausalLm model, int batch, IEnumerable<string> capture)
    {
        _model = model;
        _batch = batch;
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
        var active = new ActiveIntervention(intervention, _batch, _model.DType, _model.Device);
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
            // The activation covers the pass's last `covered` positions: all of them, or one at the head when the pass
            // runs it at the last position only (GenerationOptions.PromptLogits).
            var covered = output.shape[1];
            if (
                active.Intervention.Hook != name
                || active.PassIndex(_pass.Step, _pass.StartPos + _pass.Count - covered, covered) is not { } index
            )
                continue;
            if (ReferenceEquals(result, output))
                result = output.clone(); // never write into the model's own tensor
            active.Apply(result, index);
        }
        if (_capture.Contains(name))
            _captured[name] = Copy(result);
        return result;
    }

    /// <param name="activation">[batch, ...]</param>
    private static Activation Copy(Tensor activation)
    {
        var batch = (int)activation.shape[0];
        var flat = activation.detach().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray(); // [batch * ...]
        var per = flat.Length / batch;
        var rows = new float[batch][];
        for (var b = 0; b < batch; b++)
            rows[b] = flat.AsSpan(b * per, per).ToArray();
        return new Activation([.. activation.shape.Skip(1).Select(d => (int)d)], rows);
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

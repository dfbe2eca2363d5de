// An intervention bound to a session: its rows and vectors as device tensors (kept outside the step scopes), and the
// rule for the pass and position it fires at.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Generation;

/// <summary>An <see cref="Generation.Intervention"/> ready to apply to activations of a batch.</summary>
internal sealed class ActiveIntervention : IDisposable
{
    private readonly Tensor _rows; // [rows] int64
    private readonly Tensor? _vectors; // [rows, size] in the model dtype; null for Scale

    /// <exception cref="ArgumentException">Attention-pattern hook, rows out of range or repeated, wrong vector count or
    /// unequal vector lengths, or a non-finite factor.</exception>
    public ActiveIntervention(Intervention intervention, int batch, ScalarType dtype, Device device)
    {
        Intervention = intervention;
        var hook = intervention.Hook;
        if (hook.EndsWith(".hook_pattern", StringComparison.Ordinal))
            throw new ArgumentException(
                $"intervention at '{hook}': attention patterns cannot be intervened on (their position axis is 2)",
                nameof(intervention)
            );
        var rows = intervention.Rows?.ToArray() ?? Enumerable.Range(0, batch).ToArray();
        if (rows.Length == 0 || rows.Any(r => r < 0 || r >= batch) || rows.Distinct().Count() != rows.Length)
            throw new ArgumentException($"intervention at '{hook}': rows must be distinct and in [0, {batch})", nameof(intervention));
        if (intervention.Position is < 0 || intervention.Step is < 0)
            throw new ArgumentException($"intervention at '{hook}': step and position must be ≥ 0", nameof(intervention));

        if (intervention.Kind == InterventionKind.Scale)
        {
            if (!double.IsFinite(intervention.Factor))
                throw new ArgumentException($"intervention at '{hook}': scale factor must be finite", nameof(intervention));
        }
        else
        {
            var vectors = intervention.Vectors;
            if (vectors.Count != 1 && vectors.Count != rows.Length)
                throw new ArgumentException(
                    $"intervention at '{hook}': {vectors.Count} vectors for {rows.Length} rows (give 1 or {rows.Length})",
                    nameof(intervention)
                );
            if (vectors.Count == 0 || vectors.Any(v => v.Length == 0 || v.Length != vectors[0].Length))
                throw new ArgumentException(
                    $"intervention at '{hook}': vectors must be nonempty and of equal length",
                    nameof(intervention)
                );
            var size = vectors[0].Length;
            var data = rows.SelectMany((_, i) => vectors[vectors.Count == 1 ? 0 : i]).ToArray();
            _vectors = tensor(data, [rows.Length, size], dtype, device).DetachFromDisposeScope();
        }
        _rows = tensor(rows.Select(r => (long)r).ToArray(), [rows.Length], ScalarType.Int64, device).DetachFromDisposeScope();
    }

    /// <summary>What it does and where.</summary>
    public Intervention Intervention { get; }

    /// <summary>The index on the position axis where it fires in the pass of <paramref name="step"/> over
    /// startPos … startPos + count - 1, or null when it does not fire there.</summary>
    public long? PassIndex(int step, long startPos, long count)
    {
        if (Intervention.Step is { } s && s != step)
            return null;
        var target = Intervention.Position ?? startPos + count - 1;
        return target >= startPos && target < startPos + count ? target - startPos : null;
    }

    /// <summary>True when it cannot fire in this or any later pass.</summary>
    public bool Expired(int step, long startPos) => Intervention.Step < step || Intervention.Position < startPos;

    /// <summary>Applies it in place at <paramref name="index"/> on axis 1.</summary>
    /// <param name="activation">[batch, pos, ...] a tensor the hook owns.</param>
    /// <param name="index">Position index within the pass.</param>
    /// <exception cref="ArgumentException">The vectors' length is not the activation's size per position.</exception>
    public void Apply(Tensor activation, long index)
    {
        var at = activation.select(1, index); // [batch, ...]
        if (Intervention.Kind == InterventionKind.Scale)
        {
            at.index_copy_(0, _rows, at.index_select(0, _rows).mul_(Intervention.Factor));
            return;
        }
        var shape = at.shape.Skip(1).ToArray(); // [...]
        var size = shape.Aggregate(1L, (a, b) => a * b);
        if (_vectors!.shape[1] != size)
            throw new ArgumentException(
                $"intervention at '{Intervention.Hook}': vectors of length {_vectors.shape[1]}, "
                    + $"but the activation has {size} values per position (shape [{string.Join(", ", activation.shape)}])"
            );
        var vectors = _vectors.view([_rows.shape[0], .. shape]); // [rows, ...]
        if (Intervention.Kind == InterventionKind.Add)
            at.index_add_(0, _rows, vectors, 1);
        else
            at.index_copy_(0, _rows, vectors);
    }

    /// <summary>Frees the rows and vectors.</summary>
    public void Dispose()
    {
        _rows.Dispose();
        _vectors?.Dispose();
    }
}

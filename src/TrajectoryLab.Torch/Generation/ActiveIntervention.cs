// An intervention bound to a session: its rows and vectors as device tensors (kept outside the step scopes), and the
// rule for the pass and position it fires at. In a left-padded session (docs/padding.md) a position is each row's own:
// position p of row b is column p + pad_b, so rows of unequal padding reach it in different passes.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Generation;

/// <summary>An <see cref="Generation.Intervention"/> ready to apply to activations of a batch.</summary>
internal sealed class ActiveIntervention : IDisposable
{
    // Its rows grouped by left padding: rows of one group reach a given position of theirs at the same column. An unpadded
    // batch has one group holding every row.
    private readonly (long Pad, Tensor Rows, Tensor? Vectors)[] _groups; // Rows: [n] int64; Vectors: [n, size] or null (Scale)
    private readonly long _maxPad; // the largest padding among its rows

    /// <param name="intervention">What it does and where.</param>
    /// <param name="leftPad">[batch] the session's left padding per row (all 0 when unpadded).</param>
    /// <param name="dtype">The model's dtype.</param>
    /// <param name="device">The model's device.</param>
    /// <exception cref="ArgumentException">Attention-pattern hook, rows out of range or repeated, wrong vector count or
    /// unequal vector lengths, or a non-finite factor.</exception>
    public ActiveIntervention(Intervention intervention, IReadOnlyList<int> leftPad, ScalarType dtype, Device device)
    {
        Intervention = intervention;
        var batch = leftPad.Count;
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
        if (intervention.EveryPosition && intervention.Position is not null)
            throw new ArgumentException($"intervention at '{hook}': a position and every position at once", nameof(intervention));

        var vectors = intervention.Vectors;
        if (intervention.Kind == InterventionKind.Scale)
        {
            if (!double.IsFinite(intervention.Factor))
                throw new ArgumentException($"intervention at '{hook}': scale factor must be finite", nameof(intervention));
        }
        else
        {
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
        }
        _groups =
        [
            .. Enumerable
                .Range(0, rows.Length)
                .GroupBy(i => leftPad[rows[i]])
                .Select(g => Group(g.Key, [.. g], rows, intervention.Kind == InterventionKind.Scale ? null : vectors, dtype, device)),
        ];
        _maxPad = rows.Max(r => leftPad[r]);
    }

    /// <summary>One group's rows and vectors as device tensors, kept outside the step scopes.</summary>
    /// <param name="pad">The group's left padding.</param>
    /// <param name="members">Indices into <paramref name="rows"/> of the group's rows, in order.</param>
    /// <param name="rows">Every row of the intervention.</param>
    /// <param name="vectors">One vector, or one per row of <paramref name="rows"/>; null for Scale.</param>
    /// <param name="dtype">The model's dtype.</param>
    /// <param name="device">The model's device.</param>
    private static (long, Tensor, Tensor?) Group(
        long pad,
        int[] members,
        int[] rows,
        IReadOnlyList<float[]>? vectors,
        ScalarType dtype,
        Device device
    )
    {
        Tensor? values = null;
        if (vectors is not null)
        {
            var size = vectors[0].Length;
            var data = members.SelectMany(i => vectors[vectors.Count == 1 ? 0 : i]).ToArray();
            values = tensor(data, [members.Length, size], dtype, device).DetachFromDisposeScope(); // [n, size]
        }
        var ids = members.Select(i => (long)rows[i]).ToArray();
        return (pad, tensor(ids, [ids.Length], ScalarType.Int64, device).DetachFromDisposeScope(), values); // [n] int64
    }

    /// <summary>What it does and where.</summary>
    public Intervention Intervention { get; }

    /// <summary>Where it fires in the pass of <paramref name="step"/> over columns first … first + count − 1: for each
    /// group of rows it changes there, the group and the index on the position axis. A row's <see
    /// cref="Intervention.Position"/> is its own position, at column Position + its left padding; the default, the pass's
    /// last column, is every row's last position. With <see cref="Intervention.EveryPosition"/> the index is −1: all of them.</summary>
    public IEnumerable<(int Group, long Index)> Targets(int step, long first, long count)
    {
        if (Intervention.Step is { } s && s != step)
            yield break;
        for (var g = 0; g < _groups.Length; g++)
        {
            if (Intervention.EveryPosition)
            {
                if (count > 0)
                    yield return (g, -1);
                continue;
            }
            var target = Intervention.Position is { } p ? p + _groups[g].Pad : first + count - 1;
            if (target >= first && target < first + count)
                yield return (g, target - first);
        }
    }

    /// <summary>True when it cannot fire in this or any later pass (over columns from <paramref name="startPos"/> on).</summary>
    public bool Expired(int step, long startPos) => Intervention.Step < step || Intervention.Position + _maxPad < startPos;

    /// <summary>Applies it in place to the rows of <paramref name="group"/> at <paramref name="index"/> on axis 1.</summary>
    /// <param name="activation">[batch, pos, ...] a tensor the hook owns.</param>
    /// <param name="group">A group <see cref="Targets"/> named.</param>
    /// <param name="index">Position index within the pass, or −1 for every position.</param>
    /// <exception cref="ArgumentException">The vectors' length is not the activation's size per position.</exception>
    public void Apply(Tensor activation, int group, long index)
    {
        var (_, rows, vectors) = _groups[group];
        if (index < 0)
        {
            ApplyEverywhere(activation, rows, vectors);
            return;
        }
        var at = activation.select(1, index); // [batch, ...]
        if (Intervention.Kind == InterventionKind.Scale)
        {
            at.index_copy_(0, rows, at.index_select(0, rows).mul_(Intervention.Factor));
            return;
        }
        var shape = at.shape.Skip(1).ToArray(); // [...]
        var size = shape.Aggregate(1L, (a, b) => a * b);
        if (vectors!.shape[1] != size)
            throw new ArgumentException(
                $"intervention at '{Intervention.Hook}': vectors of length {vectors.shape[1]}, "
                    + $"but the activation has {size} values per position (shape [{string.Join(", ", activation.shape)}])"
            );
        var shaped = vectors.view([rows.shape[0], .. shape]); // [rows, ...]
        if (Intervention.Kind == InterventionKind.Add)
            at.index_add_(0, rows, shaped, 1);
        else
            at.index_copy_(0, rows, shaped);
    }

    /// <summary>Applies it in place to the rows <paramref name="rows"/> at every position of <paramref name="activation"/>.</summary>
    /// <param name="activation">[batch, pos, ...] a tensor the hook owns.</param>
    /// <param name="rows">[n] int64 the rows changed.</param>
    /// <param name="vectors">[n, size] or null (Scale).</param>
    private void ApplyEverywhere(Tensor activation, Tensor rows, Tensor? vectors)
    {
        if (Intervention.Kind == InterventionKind.Scale)
        {
            activation.index_copy_(0, rows, activation.index_select(0, rows).mul_(Intervention.Factor));
            return;
        }
        var shape = activation.shape.Skip(2).ToArray(); // [...]
        var size = shape.Aggregate(1L, (a, b) => a * b);
        if (vectors!.shape[1] != size)
            throw new ArgumentException(
                $"intervention at '{Intervention.Hook}': vectors of length {vectors.shape[1]}, "
                    + $"but the activation has {size} values per position (shape [{string.Join(", ", activation.shape)}])"
            );
        var n = rows.shape[0];
        var positions = activation.shape[1];
        using var shaped = vectors.view([n, 1, .. shape]).expand([n, positions, .. shape]); // [n, pos, ...]
        if (Intervention.Kind == InterventionKind.Add)
            activation.index_add_(0, rows, shaped, 1);
        else
            activation.index_copy_(0, rows, shaped.contiguous());
    }

    /// <summary>Frees the rows and vectors.</summary>
    public void Dispose()
    {
        foreach (var (_, rows, vectors) in _groups)
        {
            rows.Dispose();
            vectors?.Dispose();
        }
    }
}

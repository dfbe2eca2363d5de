// A change to one named activation during generation: add a vector, replace with a vector, or scale, at a chosen step,
// rows and position (or every position). Applied by a TorchSharp forward hook on the HookPoint (TransformerLens' hook mechanism, at every
// generation step rather than once per forward).
namespace TrajectoryLab.Torch.Generation;

/// <summary>What an <see cref="Intervention"/> does to the activation a = h[row, position].</summary>
public enum InterventionKind
{
    /// <summary>a ← a + v.</summary>
    Add,

    /// <summary>a ← v.</summary>
    Replace,

    /// <summary>a ← factor · a.</summary>
    Scale,
}

/// <summary>Changes the activation at hook point <see cref="Hook"/>, shaped [batch, pos, ...], at one position of chosen rows.</summary>
/// <remarks>
/// It fires in the forward pass of step s (the prefill is step 0) when <see cref="Step"/> is null or s, and that pass
/// computes its <see cref="Position"/> (default: the pass's last position, the token whose successor is being chosen).
/// The vector has the activation's per-position size (d_model for the residual stream, d_vocab for hook_logits).
/// Attention patterns (<c>blocks.{l}.attn.hook_pattern</c>, position on axis 2) cannot be intervened on.
/// Build one with <see cref="Add(string, float[])"/>, <see cref="Replace(string, float[])"/> or <see cref="Scale"/>, then
/// narrow it with <c>with { Step = 3, Rows = [1, 2], Position = 7 }</c>.
/// </remarks>
/// <param name="Hook">A hook name (see <see cref="LanguageModel.HookNames"/>).</param>
/// <param name="Kind">Add, replace or scale.</param>
/// <param name="Vectors">Add/Replace: one vector for every row, or one per row of <see cref="Rows"/> (of the batch when
/// Rows is null); empty for Scale.</param>
/// <param name="Factor">Scale's factor (ignored otherwise).</param>
public sealed record Intervention(string Hook, InterventionKind Kind, IReadOnlyList<float[]> Vectors, double Factor = 1)
{
    /// <summary>The generation step it fires in (0 = prefill), or null for every step.</summary>
    public int? Step { get; init; }

    /// <summary>Rows it changes, or null for all.</summary>
    public IReadOnlyList<int>? Rows { get; init; }

    /// <summary>Absolute token position it changes, or null for the last position of each pass it fires in. In a
    /// left-padded session each row's own position (column Position + <see cref="GenerationSession.LeftPad"/>(row)): it
    /// fires in the pass that computes that column, which differs between rows of unequal padding.</summary>
    public int? Position { get; init; }

    /// <summary>Fire at every position of every pass it fires in (all the columns a pass computes, a left-padded row's pad
    /// columns included) instead of one; <see cref="Position"/> must then be null. An ablation of a whole activation, e.g.
    /// an MLP's output replaced by 0 or by its mean at every position.</summary>
    public bool EveryPosition { get; init; }

    /// <summary>Adds <paramref name="vector"/> to every selected row.</summary>
    public static Intervention Add(string hook, float[] vector) => new(hook, InterventionKind.Add, [vector]);

    /// <summary>Adds <paramref name="perRow"/>[i] to the i-th selected row.</summary>
    public static Intervention Add(string hook, float[][] perRow) => new(hook, InterventionKind.Add, perRow);

    /// <summary>Replaces every selected row's activation with <paramref name="vector"/>.</summary>
    public static Intervention Replace(string hook, float[] vector) => new(hook, InterventionKind.Replace, [vector]);

    /// <summary>Replaces the i-th selected row's activation with <paramref name="perRow"/>[i].</summary>
    public static Intervention Replace(string hook, float[][] perRow) => new(hook, InterventionKind.Replace, perRow);

    /// <summary>Multiplies every selected row's activation by <paramref name="factor"/>.</summary>
    public static Intervention Scale(string hook, double factor) => new(hook, InterventionKind.Scale, [], factor);
}

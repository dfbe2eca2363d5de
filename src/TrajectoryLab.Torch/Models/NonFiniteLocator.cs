// Finds where a forward pass first produced a NaN or an infinity: re-runs the pass with a forward hook on every hook
// point and reports the first one, in forward order, whose activation holds a non-finite value in the row asked about.
// Used only after a pass was found to end in non-finite logits, so the hooks cost nothing in a healthy run.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>Locates the first non-finite activation of a forward pass.</summary>
internal static class NonFiniteLocator
{
    /// <summary>Row indices of <paramref name="values"/> ([batch, ...]) that hold a NaN or an infinity.</summary>
    public static int[] NonFiniteRows(Tensor values)
    {
        using var scope = NewDisposeScope();
        var bad = values.isfinite().logical_not().flatten(1).any(1).cpu(); // [batch] bool
        var flags = bad.data<bool>().ToArray();
        return [.. Enumerable.Range(0, flags.Length).Where(i => flags[i])];
    }

    /// <summary>Runs <paramref name="pass"/> with every hook point of <paramref name="model"/> watched (attention patterns
    /// excepted: hooking them changes the attention kernel) and returns the first hook point whose activation is
    /// non-finite in <paramref name="row"/>, or null.</summary>
    public static string? FirstSite(CausalLm model, int row, Action pass)
    {
        string? first = null;
        var removers = new List<Action>();
        try
        {
            foreach (var name in HookNames.All(model.Spec).Where(n => !n.EndsWith(".hook_pattern", StringComparison.Ordinal)))
            {
                var hook = model
                    .Hook(name)
                    .register_forward_hook(
                        (_, _, output) =>
                        {
                            if (first is null && output.shape[0] > row)
                            {
                                using var scope = NewDisposeScope();
                                if (!output[row].isfinite().all().item<bool>())
                                    first = name;
                            }
                            return output;
                        }
                    );
                removers.Add(hook.remove);
            }
            pass();
        }
        finally
        {
            foreach (var remove in removers)
                remove();
        }
        return first;
    }
}

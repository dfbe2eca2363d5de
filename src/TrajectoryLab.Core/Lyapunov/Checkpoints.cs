// Which intervals of a long run are kept on a convergence curve: log-spaced, so early and late behaviour both show.
namespace TrajectoryLab.Core.Lyapunov;

/// <summary>Thinning of convergence curves.</summary>
internal static class Checkpoints
{
    /// <summary>
    /// At most <paramref name="max"/> distinct interval indices in [1, <paramref name="count"/>], log-spaced, ascending,
    /// always including 1 and <paramref name="count"/>; all of them when count ≤ max.
    /// </summary>
    public static int[] LogSpaced(int count, int max)
    {
        if (count <= max)
            return Enumerable.Range(1, count).ToArray();
        if (max == 1)
            return [count];
        var step = Math.Log(count) / (max - 1);
        return Enumerable.Range(0, max).Select(j => j == max - 1 ? count : (int)Math.Round(Math.Exp(j * step))).Distinct().ToArray();
    }
}

// Perturbation escape from a repetition loop: from a point inside a greedy loop, the smallest perturbation ε·||h||·v of the
// residual stream at one layer and the current position after which the greedy continuation no longer repeats the loop.
// A log grid of ε over a few random orthonormal directions v (one batched free-running run), then bisection in log ε
// between the largest grid ε that stays and the smallest that escapes, per direction.
// References: Xu et al. (2022), NeurIPS ("Learning to Break the Loop"); Holtzman et al. (2020), ICLR;
// Lorenz (1963), J. Atmos. Sci. 20:130 (finite perturbations of a trajectory).
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Experiments.RepetitionAttractors;

/// <summary>The perturbation-escape search.</summary>
public static class RepetitionAttractorsEscape
{
    /// <summary>Searches the escape threshold of every direction and layer for one looping greedy generation.</summary>
    /// <param name="model">The model.</param>
    /// <param name="g">A greedy generation whose <see cref="Generation.Cycle"/> is a loop.</param>
    /// <param name="loop">Its index among the searched loops.</param>
    /// <param name="o">The options.</param>
    /// <param name="cancellation">Stops between runs.</param>
    public static List<EscapeThreshold> Search(
        LanguageModel model,
        Generation g,
        int loop,
        RepetitionAttractorsOptions o,
        CancellationToken cancellation
    )
    {
        var period = g.Cycle.Period;
        var inside = g.Cycle.Onset + period; // one full cycle into the loop
        var cycle = g.Tokens[g.Cycle.Onset..(g.Cycle.Onset + period)];
        var context = g.Context.Concat(g.Tokens[..inside]).ToArray();
        var window = 2 * period;
        var decades = Math.Log10(o.EscapeMaxEpsilon / o.EscapeMinEpsilon);
        var count = Math.Max(2, (int)Math.Round(decades * o.EscapeGridPerDecade) + 1);
        var grid = Enumerable.Range(0, count).Select(i => o.EscapeMinEpsilon * Math.Pow(10, decades * i / (count - 1))).ToArray();
        var result = new List<EscapeThreshold>();
        foreach (var layer in o.EscapeLayers)
        {
            cancellation.ThrowIfCancellationRequested();
            FreeRunningResult Run(IReadOnlyList<double> eps) =>
                FreeRunningDynamics.Run(
                    model,
                    context,
                    new FreeRunningOptions
                    {
                        Layer = layer,
                        Epsilons = eps,
                        CopiesPerEpsilon = o.EscapeDirections,
                        Steps = window,
                        Seed = o.Seed + layer,
                    }
                );
            var first = Run(grid);
            var stays = InLoop(first.ReferenceTokens, cycle);
            var lo = new double[o.EscapeDirections];
            var hi = new double[o.EscapeDirections];
            for (var v = 0; v < o.EscapeDirections; v++)
            {
                var escaped = grid.Select((e, i) => !InLoop(first.Copies.First(c => c.Epsilon == e && c.Copy == v).Tokens, cycle))
                    .ToArray();
                var at = Array.IndexOf(escaped, true);
                (lo[v], hi[v]) =
                    at < 0 ? (grid[^1], double.PositiveInfinity)
                    : at == 0 ? (double.NaN, grid[0])
                    : (grid[at - 1], grid[at]);
            }
            for (var b = 0; b < o.EscapeBisections; b++)
            {
                var open = Enumerable.Range(0, o.EscapeDirections).Where(v => double.IsFinite(lo[v]) && double.IsFinite(hi[v])).ToArray();
                if (open.Length == 0)
                    break;
                var mids = open.Select(v => Math.Sqrt(lo[v] * hi[v])).ToArray();
                var run = Run([.. mids.Distinct()]);
                for (var i = 0; i < open.Length; i++)
                {
                    var v = open[i];
                    var copy = run.Copies.First(c => c.Epsilon == mids[i] && c.Copy == v);
                    if (InLoop(copy.Tokens, cycle))
                        lo[v] = mids[i];
                    else
                        hi[v] = mids[i];
                }
            }
            for (var v = 0; v < o.EscapeDirections; v++)
                result.Add(new EscapeThreshold(g.Model, loop, g.Prompt, period, layer, v, hi[v], lo[v], stays));
        }
        return result;
    }

    /// <summary>Whether the last P tokens of <paramref name="tokens"/> are a rotation of <paramref name="cycle"/> (still repeating the
    /// loop, at any phase).</summary>
    /// <param name="tokens">A window of at least P generated tokens.</param>
    /// <param name="cycle">The loop's P tokens.</param>
    public static bool InLoop(int[] tokens, int[] cycle)
    {
        var p = cycle.Length;
        var tail = tokens[^p..];
        for (var shift = 0; shift < p; shift++)
            if (Enumerable.Range(0, p).All(i => tail[i] == cycle[(i + shift) % p]))
                return true;
        return false;
    }
}

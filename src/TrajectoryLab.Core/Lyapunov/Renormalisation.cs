// The loop shared by Benettin's two algorithms: evolve, renormalise every n steps, accumulate ln(growth).
// Benettin, Galgani, Giorgilli, Strelcyn (1980), Meccanica 15:9-30; Shimada & Nagashima (1979).
using System.Globalization;

namespace TrajectoryLab.Core.Lyapunov;

/// <summary>What a renormalised run produced (exponents are NaN when <see cref="Breakdown"/> is set).</summary>
internal sealed record RenormalisationOutcome(
    double[] Exponents, // (k,) per unit time
    double Time, // time measured after the transient
    IReadOnlyList<RunningEstimate> Convergence,
    double[][] LocalExponents, // [k][intervals completed]
    string? Breakdown
);

/// <summary>
/// Runs <c>transient</c> steps (renormalising, nothing recorded), then <c>steps / interval</c> intervals of
/// <c>interval</c> steps, each ended by a renormalisation that reports k growth factors g_i.
/// </summary>
/// <remarks>
/// λ_i = Σ ln g_i / (N_intervals · interval · Δt); local exponent of an interval = ln g_i / (interval · Δt).
/// A growth factor that is zero, negative or non-finite stops the run with a reason (the caller's breakdown result).
/// </remarks>
internal static class Renormalisation
{
    public static RenormalisationOutcome Run(
        int k,
        double timeStep,
        Action step,
        Func<double[]> renormalise,
        string direction,
        int transient,
        int steps,
        int interval,
        int maxCheckpoints
    )
    {
        ArgumentOutOfRangeException.ThrowIfNegative(transient);
        ArgumentOutOfRangeException.ThrowIfLessThan(interval, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, interval);
        ArgumentOutOfRangeException.ThrowIfLessThan(maxCheckpoints, 1);
        if (!(timeStep > 0) || !double.IsFinite(timeStep))
            throw new ArgumentOutOfRangeException(nameof(timeStep), timeStep, "The time step must be positive and finite.");

        for (var n = 1; n <= transient; n++)
        {
            step();
            if (n % interval != 0 && n != transient)
                continue;
            var reason = Check(renormalise(), direction, n, "transient step");
            if (reason is not null)
                return Failed(k, 0, [], new double[k][], reason);
        }

        var intervals = steps / interval;
        var dt = interval * timeStep; // time per interval
        var sums = new double[k]; // (k,) Σ ln g
        var local = new double[k][]; // [k][intervals]
        for (var i = 0; i < k; i++)
            local[i] = new double[intervals];
        var checkpoints = Checkpoints.LogSpaced(intervals, maxCheckpoints);
        var convergence = new List<RunningEstimate>(checkpoints.Length);
        var next = 0; // index of the next checkpoint to record
        for (var m = 1; m <= intervals; m++)
        {
            for (var s = 0; s < interval; s++)
                step();
            var growth = renormalise();
            var reason = Check(growth, direction, m * interval, "step");
            if (reason is not null)
                return Failed(k, (m - 1) * dt, convergence, Truncate(local, m - 1), reason);
            for (var i = 0; i < k; i++)
            {
                var ln = Math.Log(growth[i]);
                sums[i] += ln;
                local[i][m - 1] = ln / dt;
            }
            if (next < checkpoints.Length && checkpoints[next] == m)
            {
                convergence.Add(new RunningEstimate(m * dt, sums.Select(v => v / (m * dt)).ToArray()));
                next++;
            }
        }
        var time = intervals * dt;
        return new RenormalisationOutcome(sums.Select(v => v / time).ToArray(), time, convergence, local, null);
    }

    private static string? Check(double[] growth, string direction, int step, string when)
    {
        for (var i = 0; i < growth.Length; i++)
        {
            var g = growth[i];
            if (g > 0 && double.IsFinite(g))
                continue;
            var what =
                g == 0
                    ? "collapsed to zero (exponent -Infinity)"
                    : string.Create(CultureInfo.InvariantCulture, $"has growth factor {g} (overflow or NaN)");
            var name = growth.Length > 1 ? string.Create(CultureInfo.InvariantCulture, $"{direction} {i}") : direction;
            return string.Create(CultureInfo.InvariantCulture, $"The {name} {what} at {when} {step}.");
        }
        return null;
    }

    private static RenormalisationOutcome Failed(
        int k,
        double time,
        IReadOnlyList<RunningEstimate> convergence,
        double[][] local,
        string reason
    )
    {
        for (var i = 0; i < k; i++)
            local[i] ??= [];
        return new RenormalisationOutcome(Enumerable.Repeat(double.NaN, k).ToArray(), time, convergence, local, reason);
    }

    private static double[][] Truncate(double[][] local, int count) => local.Select(series => series[..count]).ToArray();
}

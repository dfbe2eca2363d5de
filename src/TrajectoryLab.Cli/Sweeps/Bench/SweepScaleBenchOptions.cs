// Options of bench-sweep-scale: the cell counts measured, the plots the merge draws, repeats, and where the synthetic
// sweeps are written; and the tiny options type of the synthetic cells (bound and hashed, never run).
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Cli.Sweeps.Bench;

/// <summary>Options of <c>bench-sweep-scale</c>.</summary>
public sealed class SweepScaleBenchOptions : ExperimentOptions
{
    /// <summary>Cell counts measured (each a multiple of 100; from 10,000 on, 100 × 100 × N/10,000 seeds).</summary>
    [MinLength(1), EachInRange(1, 10_000_000)]
    public int[] Sizes { get; set; } = [10_000, 100_000];

    /// <summary>Numeric plots drawn by the merge (as <c>sweep merge --plots</c>).</summary>
    [Range(0, 64)]
    public int Plots { get; set; } = 3;

    /// <summary>Measurements per size; the fastest (plan + merge) counts, as the machine is shared and noisy.</summary>
    [Range(1, 20)]
    public int Repeats { get; set; } = 2;

    /// <summary>Where the synthetic sweeps are written: "" = /dev/shm when it exists (a RAM file system, so the figures
    /// measure our code rather than this machine's disk), else the system temp folder.</summary>
    public string Scratch { get; set; } = "";
}

/// <summary>The tiny base experiment of the synthetic sweep (never run, only bound and hashed).</summary>
public sealed class SyntheticCellOptions : ExperimentOptions
{
    /// <summary>First axis.</summary>
    public double A { get; set; }

    /// <summary>Second axis.</summary>
    public double B { get; set; }
}

// What bench-sweep-scale measured: for each number of cells, the fastest repeat's wall time, peak managed heap and bytes
// allocated of planning and of merging a synthetic sweep, and the time to write its synthetic cell folders.
namespace TrajectoryLab.Cli.Sweeps.Bench;

/// <summary>Plan and merge costs per sweep size.</summary>
/// <param name="Scratch">The folder the synthetic sweeps were written in.</param>
/// <param name="Sizes">One per size, in the order of the options' sizes.</param>
public sealed record SweepScaleBenchResult(string Scratch, IReadOnlyList<SweepScaleMeasurement> Sizes);

/// <summary>One sweep size's fastest repeat (plan + merge).</summary>
/// <param name="N">Cells.</param>
/// <param name="PlanSeconds">Wall time of planning.</param>
/// <param name="PlanPeakMb">Peak managed heap above the pre-phase baseline while planning, MB.</param>
/// <param name="PlanAllocatedMb">Bytes allocated while planning, MB.</param>
/// <param name="SetupSeconds">Writing the synthetic cell folders (not part of either phase).</param>
/// <param name="MergeSeconds">Wall time of merging.</param>
/// <param name="MergePeakMb">Peak managed heap above the pre-phase baseline while merging, MB.</param>
/// <param name="MergeAllocatedMb">Bytes allocated while merging, MB.</param>
public sealed record SweepScaleMeasurement(
    int N,
    double PlanSeconds,
    double PlanPeakMb,
    double PlanAllocatedMb,
    double SetupSeconds,
    double MergeSeconds,
    double MergePeakMb,
    double MergeAllocatedMb
);

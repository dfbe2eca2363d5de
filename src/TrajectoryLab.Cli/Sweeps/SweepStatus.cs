// The state of every cell of a sweep, from one listing of its cells/ folder: done (complete, same hash), running
// (a .partial-<pid> folder whose process is alive on this host), failed (a .failed-<pid> folder, with the manifest's
// first error line), stale (a complete-looking folder of another configuration hash: it re-runs) or missing.
// The Slurm side can add queue information on top of the returned per-cell states.
using System.Diagnostics;
using System.Globalization;

namespace TrajectoryLab.Cli.Sweeps;

/// <summary>What a cell of a sweep is now.</summary>
public enum CellState
{
    Done,
    Running,
    Failed,
    Stale,
    Missing,
}

/// <summary>A cell and its state, with a detail (the failure's first error line, the running pid) and the folder found.</summary>
/// <param name="Cell">The planned cell.</param>
/// <param name="State">Its state.</param>
/// <param name="Detail">Why, in a few words (empty for done and missing).</param>
/// <param name="Folder">The folder that decided the state, or null.</param>
public sealed record CellStatus(SweepCell Cell, CellState State, string Detail, string? Folder);

/// <summary>Computes the per-cell states of a sweep folder.</summary>
public static class SweepStatus
{
    /// <summary>The state of every planned cell, in plan order.</summary>
    /// <param name="plan">The plan (from the sweep file or plan.json).</param>
    /// <param name="sweepFolder">The sweep's results folder.</param>
    public static IReadOnlyList<CellStatus> Compute(SweepPlan plan, string sweepFolder)
    {
        var cellsFolder = SweepFolder.Cells(sweepFolder);
        var entries = new Dictionary<string, List<string>>(StringComparer.Ordinal); // id → folders named id, id.partial-*, id.failed-*
        if (Directory.Exists(cellsFolder))
            foreach (var dir in Directory.EnumerateDirectories(cellsFolder))
            {
                var name = Path.GetFileName(dir);
                var cut = name.IndexOf(SweepFolder.PartialMark, StringComparison.Ordinal);
                if (cut < 0)
                    cut = name.IndexOf(SweepFolder.FailedMark, StringComparison.Ordinal);
                var id = cut < 0 ? name : name[..cut];
                if (!entries.TryGetValue(id, out var list))
                    entries[id] = list = [];
                list.Add(dir);
            }
        return plan.Cells.Select(c => Of(c, entries.GetValueOrDefault(c.Id) ?? [])).ToList();
    }

    static CellStatus Of(SweepCell cell, List<string> folders)
    {
        var final = folders.FirstOrDefault(f => Path.GetFileName(f) == cell.Id);
        if (final is not null && SweepFolder.IsComplete(final, cell.Hash))
            return new(cell, CellState.Done, "", final);
        foreach (var partial in folders.Where(f => Path.GetFileName(f).Contains(SweepFolder.PartialMark, StringComparison.Ordinal)))
            if (PidOf(partial) is { } pid && IsAlive(pid))
                return new(cell, CellState.Running, $"pid {pid.ToString(CultureInfo.InvariantCulture)}", partial);
        var failed = folders
            .Where(f => Path.GetFileName(f).Contains(SweepFolder.FailedMark, StringComparison.Ordinal))
            .OrderByDescending(Directory.GetLastWriteTimeUtc)
            .FirstOrDefault();
        if (failed is not null)
            return new(cell, CellState.Failed, SweepFolder.FirstErrorLine(failed), failed);
        if (final is not null)
        {
            var record = SweepFolder.ReadCell(final);
            return new(
                cell,
                CellState.Stale,
                record is null ? "folder without cell.json" : $"ran configuration {record.Hash}, planned {cell.Hash}",
                final
            );
        }
        return new(cell, CellState.Missing, "", null);
    }

    /// <summary>The process id at the end of a .partial-&lt;pid&gt; or .failed-&lt;pid&gt; folder name.</summary>
    /// <param name="folder">The folder.</param>
    public static int? PidOf(string folder)
    {
        var name = Path.GetFileName(folder);
        var dash = name.LastIndexOf('-');
        return int.TryParse(name.AsSpan(dash + 1), NumberStyles.None, CultureInfo.InvariantCulture, out var pid) ? pid : null;
    }

    /// <summary>True when a process with <paramref name="pid"/> runs on this host.</summary>
    /// <param name="pid">The process id.</param>
    public static bool IsAlive(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (Exception e) when (e is ArgumentException or InvalidOperationException)
        {
            return false;
        }
    }
}

// `sweep run`: runs every cell that is not done (nor running) as a child process `trajectorylab sweep cell <file>
// --index I --results DIR`, N at a time, so local runs and Slurm array tasks go through the same code. Each child's
// output goes to <sweep folder>/logs/<id>.log. Failed cells do not stop the others.
using System.Diagnostics;
using System.Globalization;

namespace TrajectoryLab.Cli.Sweeps;

/// <summary>Runs a sweep's incomplete cells locally in child processes.</summary>
public static class SweepLocalRunner
{
    /// <summary>The command line that runs this tool again: the apphost itself, or <c>dotnet trajectorylab.dll</c>
    /// (under <c>dotnet run</c>, in tests, or wherever the process is not the apphost).</summary>
    public static (string FileName, string[] Prefix) SelfCommand()
    {
        var process = Environment.ProcessPath ?? "dotnet";
        if (Path.GetFileNameWithoutExtension(process).Equals("trajectorylab", StringComparison.OrdinalIgnoreCase))
            return (process, []);
        var dotnet =
            Path.GetFileNameWithoutExtension(process).Equals("dotnet", StringComparison.OrdinalIgnoreCase) ? process
            : Environment.GetEnvironmentVariable("DOTNET_HOST_PATH") is { Length: > 0 } host && File.Exists(host) ? host
            : "dotnet";
        return (dotnet, [typeof(SweepLocalRunner).Assembly.Location]);
    }

    /// <summary>The arguments after <see cref="SelfCommand"/> that run one cell: <c>sweep cell &lt;file&gt; --index I --results DIR</c>,
    /// the same for a local child process and a Slurm array task.</summary>
    /// <param name="plan">The sweep.</param>
    /// <param name="index">The cell index, or a placeholder the scheduler fills in (SbatchScript.IndexToken).</param>
    /// <param name="resultsRoot">The results root.</param>
    public static string[] CellArguments(SweepPlan plan, string index, string resultsRoot) =>
        ["sweep", "cell", Path.GetFullPath(plan.File), "--index", index, "--results", Path.GetFullPath(resultsRoot)];

    /// <summary>Runs the cells in <paramref name="indices"/>, <paramref name="jobs"/> at a time; returns the failed cells'
    /// indices.</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="indices">Cells to run, in order.</param>
    /// <param name="sweepFolder">The sweep's results folder, &lt;resultsRoot&gt;/sweeps/&lt;name&gt;.</param>
    /// <param name="resultsRoot">The results root passed to each child as --results.</param>
    /// <param name="jobs">Child processes at a time.</param>
    /// <param name="report">Receives one line per finished cell.</param>
    /// <param name="cancellation">Stops launching new cells; running children get Ctrl-C from the terminal themselves.</param>
    public static IReadOnlyList<int> Run(
        SweepPlan plan,
        IReadOnlyList<int> indices,
        string sweepFolder,
        string resultsRoot,
        int jobs,
        Action<string> report,
        CancellationToken cancellation
    )
    {
        var (exe, prefix) = SelfCommand();
        var logs = Path.Combine(sweepFolder, "logs");
        Directory.CreateDirectory(logs);
        var failed = new List<int>();
        var running = new List<(int Index, Process Process, Stopwatch Clock)>();
        int next = 0,
            finished = 0;
        while (next < indices.Count || running.Count > 0)
        {
            while (running.Count < jobs && next < indices.Count && !cancellation.IsCancellationRequested)
            {
                var index = indices[next++];
                var start = new ProcessStartInfo(exe)
                {
                    UseShellExecute = false,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                };
                foreach (var a in prefix)
                    start.ArgumentList.Add(a);
                // N cells share the cores: each libtorch gets cores / N threads, or the thread pools spin against each other
                // (measured: 12 default-model cells with --jobs 2 took 7.8–10.8 s each with 2 threads apiece, 1.3 s alone).
                if (Environment.GetEnvironmentVariable("OMP_NUM_THREADS") is null)
                    start.Environment["OMP_NUM_THREADS"] = Math.Max(1, Environment.ProcessorCount / jobs)
                        .ToString(CultureInfo.InvariantCulture);
                foreach (var a in CellArguments(plan, index.ToString(CultureInfo.InvariantCulture), resultsRoot))
                    start.ArgumentList.Add(a);
                var process = new Process { StartInfo = start };
                var log = new StreamWriter(Path.Combine(logs, plan.Cells[index].Id + ".log")) { AutoFlush = true };
                process.OutputDataReceived += (_, e) =>
                {
                    if (e.Data is not null)
                        lock (log)
                            log.WriteLine(e.Data);
                };
                process.ErrorDataReceived += (_, e) =>
                {
                    if (e.Data is not null)
                        lock (log)
                            log.WriteLine(e.Data);
                };
                process.Start();
                process.BeginOutputReadLine();
                process.BeginErrorReadLine();
                running.Add((index, process, Stopwatch.StartNew()));
                process.Disposed += (_, _) => log.Dispose();
            }
            if (running.Count == 0)
                break;
            var done = running.FirstOrDefault(r => r.Process.HasExited);
            if (done.Process is null)
            {
                Thread.Sleep(50);
                continue;
            }
            done.Process.WaitForExit(); // drains the redirected output
            running.Remove(done);
            finished++;
            var code = done.Process.ExitCode;
            if (code != 0)
                failed.Add(done.Index);
            var id = plan.Cells[done.Index].Id;
            var outcome = code == 0 ? "ok" : $"failed (exit {code}), see logs/{id}.log";
            report(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"[{finished}/{indices.Count}] {id}: {outcome} in {done.Clock.Elapsed.TotalSeconds:F1} s"
                )
            );
            done.Process.Dispose();
        }
        return failed;
    }
}

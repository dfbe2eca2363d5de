// Runs Slurm's client commands (sbatch, squeue, scancel) as processes with a timeout: submit a job array, read
// the state of each array task, cancel one task or the whole job, wait until nothing is left to run.
// SLURM_CONF is passed through (or set from the constructor), so the same code drives a site cluster or the
// test cluster of tests/slurm/cluster.sh. Reference: https://slurm.schedmd.com/man_index.html (Slurm 22.05).
// Note: in Slurm 22.05 cancelling a PENDING array task removes it from squeue; only tasks that had started
// show up as CANCELLED. Finished tasks stay visible for the cluster's MinJobAge (no sacct needed).
using System.Diagnostics;
using System.Globalization;

namespace TrajectoryLab.Cli.Sweeps.Slurm;

/// <summary>A Slurm command failed or timed out; the message holds its command line and its stderr.</summary>
public sealed class SlurmException : Exception
{
    /// <summary>Creates the exception.</summary>
    /// <param name="message">What failed, with the command line and its stderr.</param>
    public SlurmException(string message)
        : base(message) { }
}

/// <summary>Submits, watches and cancels Slurm job arrays through the Slurm client commands.</summary>
/// <param name="slurmConf">The slurm.conf to point the commands at, or null to use SLURM_CONF from this process (or Slurm's
/// default).</param>
/// <param name="commandTimeout">How long one Slurm command may take; 30 s when null.</param>
public sealed class SlurmClient(string? slurmConf = null, TimeSpan? commandTimeout = null)
{
    readonly TimeSpan timeout = commandTimeout ?? TimeSpan.FromSeconds(30);

    /// <summary>Whether <c>sbatch</c> is an executable file on PATH.</summary>
    public static bool IsAvailable() =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(folder => Path.Combine(folder, "sbatch"))
            .Any(path =>
                File.Exists(path) && (OperatingSystem.IsWindows() || (File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0)
            );

    /// <summary>Submits a batch script with <c>sbatch --parsable</c>.</summary>
    /// <param name="scriptPath">The script (e.g. from <see cref="SbatchScript.Write"/>).</param>
    /// <returns>The job id.</returns>
    public string Submit(string scriptPath)
    {
        var output = Run("sbatch", "--parsable", Path.GetFullPath(scriptPath));
        var id = output.Trim().Split('\n')[^1].Split(';')[0].Trim(); // "<id>" or "<id>;<cluster>"
        if (id.Length == 0 || !id.All(char.IsAsciiDigit))
            throw new SlurmException($"sbatch --parsable {scriptPath}: expected a job id, got '{output.Trim()}'");
        return id;
    }

    /// <summary>The state of every task of a job that squeue still knows (one per array index).</summary>
    /// <param name="jobId">The job id from <see cref="Submit"/>.</param>
    /// <returns>The tasks; empty when Slurm no longer knows the job (purged after MinJobAge).</returns>
    public IReadOnlyList<SlurmTaskState> Tasks(string jobId)
    {
        CheckJobId(jobId);
        var result = RunAllowingFailure(["squeue", "-j", jobId, "-t", "all", "-r", "-h", "-o", SqueueOutput.Format]);
        if (result.ExitCode != 0)
        {
            if (result.Stderr.Contains("Invalid job id specified", StringComparison.Ordinal))
                return [];
            throw Failure(result);
        }
        return SqueueOutput.Parse(result.Stdout);
    }

    /// <summary>Cancels a job, or one task of a job array, with <c>scancel</c>.</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="arrayIndex">The array task to cancel, or null for every task of the job.</param>
    public void Cancel(string jobId, int? arrayIndex = null)
    {
        CheckJobId(jobId);
        if (arrayIndex is < 0)
            throw new ArgumentOutOfRangeException(nameof(arrayIndex), arrayIndex, "arrayIndex must be 0 or more");
        Run("scancel", arrayIndex is int i ? string.Create(CultureInfo.InvariantCulture, $"{jobId}_{i}") : jobId);
    }

    /// <summary>Polls until no task of the job is active (pending, running, configuring, completing, ...).</summary>
    /// <param name="jobId">The job id.</param>
    /// <param name="timeout">How long to wait at most.</param>
    /// <param name="poll">How long to sleep between two squeue calls.</param>
    /// <param name="cancellation">Stops the wait early (then the method returns false).</param>
    /// <returns>True when every task has ended; false when <paramref name="timeout"/> passed first.</returns>
    public bool WaitUntilDone(string jobId, TimeSpan timeout, TimeSpan poll, CancellationToken cancellation = default)
    {
        var clock = Stopwatch.StartNew();
        while (true)
        {
            if (!Tasks(jobId).Any(t => t.IsActive))
                return true;
            if (clock.Elapsed >= timeout || cancellation.WaitHandle.WaitOne(poll))
                return false;
        }
    }

    string Run(params string[] command)
    {
        var result = RunAllowingFailure(command);
        return result.ExitCode == 0 ? result.Stdout : throw Failure(result);
    }

    sealed record CommandResult(string CommandLine, int ExitCode, string Stdout, string Stderr);

    CommandResult RunAllowingFailure(string[] command)
    {
        var commandLine = string.Join(' ', command.Select(a => a.Any(char.IsWhiteSpace) || a.Contains('|') ? SbatchScript.Quote(a) : a));
        var info = new ProcessStartInfo(command[0])
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var argument in command.Skip(1))
            info.ArgumentList.Add(argument);
        if (slurmConf is not null)
            info.Environment["SLURM_CONF"] = slurmConf;
        Process process;
        try
        {
            process = Process.Start(info) ?? throw new SlurmException($"{commandLine}: the process did not start");
        }
        catch (System.ComponentModel.Win32Exception e)
        {
            throw new SlurmException($"{commandLine}: could not start {command[0]} ({e.Message}); is Slurm installed and on PATH?");
        }
        using (process)
        {
            var stdout = process.StandardOutput.ReadToEndAsync();
            var stderr = process.StandardError.ReadToEndAsync();
            if (!process.WaitForExit(timeout))
            {
                try
                {
                    process.Kill(entireProcessTree: true);
                }
                catch (InvalidOperationException) { }
                process.WaitForExit();
                throw new SlurmException(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"{commandLine}: no answer within {timeout.TotalSeconds:0.#} s; stderr: {Tail(stderr.Result)}"
                    )
                );
            }
            process.WaitForExit(); // drains the redirected streams
            return new CommandResult(commandLine, process.ExitCode, stdout.Result, stderr.Result);
        }
    }

    static SlurmException Failure(CommandResult result) =>
        new(
            string.Create(CultureInfo.InvariantCulture, $"{result.CommandLine}: exit code {result.ExitCode}; stderr: {Tail(result.Stderr)}")
        );

    static string Tail(string text)
    {
        var trimmed = text.Trim();
        return trimmed.Length == 0 ? "(empty)"
            : trimmed.Length <= 2000 ? trimmed
            : "..." + trimmed[^2000..];
    }

    static void CheckJobId(string jobId)
    {
        if (string.IsNullOrEmpty(jobId) || !jobId.All(char.IsAsciiDigit))
            throw new ArgumentException($"jobId '{jobId}' must be a Slurm job id (digits)", nameof(jobId));
    }
}

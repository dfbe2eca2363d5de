// Writes the sbatch script of a sweep: one Slurm job array whose task i runs the sweep's cell i. The cell
// command is rendered argument by argument in single quotes, so spaces, quotes and $ reach the program as
// they are; the token {index} becomes "$SLURM_ARRAY_TASK_ID".
// References: https://slurm.schedmd.com/sbatch.html (Slurm 22.05: --array, %A/%a in --output, --gpus-per-task needs
// a task count, hence --ntasks=1), https://slurm.schedmd.com/job_array.html.
using System.Globalization;
using System.Text;
using TrajectoryLab.Core.IO;

namespace TrajectoryLab.Cli.Sweeps.Slurm;

/// <summary>Builds and writes the sbatch script of a sweep's job array.</summary>
public static class SbatchScript
{
    /// <summary>The token in a cell command's arguments that stands for the array task's index.</summary>
    public const string IndexToken = "{index}";

    /// <summary>Builds the script text.</summary>
    /// <param name="cellCount">How many cells (array tasks 0..cellCount-1); at least 1.</param>
    /// <param name="options">The Slurm settings; validated here.</param>
    /// <param name="cellCommand">The program and its arguments; every <c>{index}</c> in an argument becomes the task's index.</param>
    /// <param name="logFolder">Where each task's stdout and stderr go, as <c>%A_%a.out</c> / <c>%A_%a.err</c> (job id, task index).</param>
    /// <param name="workingDirectory">The folder each task runs in.</param>
    /// <param name="exports">Environment variables the script exports; null exports TRAJECTORYLAB_ROOT when it is set here.</param>
    /// <param name="arrayIndices">The cells to run, or null for all of 0..cellCount-1 (a re-submission runs only the cells not
    /// done); written as ranges, e.g. <c>--array=0-2,5,7</c>.</param>
    /// <returns>The script, starting with <c>#!/bin/bash</c>.</returns>
    /// <exception cref="ArgumentException">An argument or option is invalid; the message names it.</exception>
    public static string Build(
        int cellCount,
        SlurmOptions options,
        IReadOnlyList<string> cellCommand,
        string logFolder,
        string workingDirectory,
        IReadOnlyDictionary<string, string>? exports = null,
        IReadOnlyList<int>? arrayIndices = null
    )
    {
        ArgumentNullException.ThrowIfNull(options);
        ArgumentNullException.ThrowIfNull(cellCommand);
        if (cellCount < 1)
            throw new ArgumentOutOfRangeException(nameof(cellCount), cellCount, "cellCount must be at least 1");
        options.Validate();
        if (cellCommand.Count == 0 || string.IsNullOrEmpty(cellCommand[0]))
            throw new ArgumentException("cellCommand must name a program", nameof(cellCommand));
        CheckSbatchPath(logFolder, nameof(logFolder));
        if (string.IsNullOrEmpty(workingDirectory) || workingDirectory.Contains('\n') || workingDirectory.Contains('\0'))
            throw new ArgumentException(
                $"workingDirectory '{workingDirectory}' must be a non-empty path on one line",
                nameof(workingDirectory)
            );
        exports ??= DefaultExports();

        var s = new StringBuilder();
        s.Append("#!/bin/bash\n");
        s.Append("# Written by TrajectoryLab: a Slurm job array, one task per sweep cell.\n");
        s.Append(string.Create(CultureInfo.InvariantCulture, $"#SBATCH --job-name={options.JobName}\n"));
        s.Append("#SBATCH --array=")
            .Append(
                arrayIndices is null
                    ? string.Create(CultureInfo.InvariantCulture, $"0-{cellCount - 1}")
                    : ArraySpec(arrayIndices, cellCount)
            );
        if (options.MaxConcurrent is int c)
            s.Append(string.Create(CultureInfo.InvariantCulture, $"%{c}"));
        s.Append('\n');
        var logs = logFolder.TrimEnd('/');
        s.Append($"#SBATCH --output={logs}/%A_%a.out\n");
        s.Append($"#SBATCH --error={logs}/%A_%a.err\n");
        if (options.Partition is not null)
            s.Append($"#SBATCH --partition={options.Partition}\n");
        s.Append("#SBATCH --ntasks=1\n");
        s.Append(string.Create(CultureInfo.InvariantCulture, $"#SBATCH --cpus-per-task={options.CpusPerTask}\n"));
        if (options.GpusPerTask > 0)
            s.Append(string.Create(CultureInfo.InvariantCulture, $"#SBATCH --gpus-per-task={options.GpusPerTask}\n"));
        if (options.Time is not null)
            s.Append($"#SBATCH --time={options.Time}\n");
        foreach (var line in options.ExtraSbatch ?? [])
            s.Append(line).Append('\n');
        s.Append("set -euo pipefail\n");
        // libtorch's thread pool sized to the task's CPUs, not the node's (oversubscribed pools spin against each other).
        s.Append("export OMP_NUM_THREADS=\"${OMP_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}\"\n");
        foreach (var (name, value) in exports.OrderBy(e => e.Key, StringComparer.Ordinal))
        {
            if (!System.Text.RegularExpressions.Regex.IsMatch(name, "^[A-Za-z_][A-Za-z0-9_]*$"))
                throw new ArgumentException($"'{name}' is not an environment variable name", nameof(exports));
            s.Append($"export {name}={Quote(value)}\n");
        }
        s.Append($"cd {Quote(workingDirectory)}\n");
        s.Append("exec ").Append(string.Join(' ', cellCommand.Select(RenderArgument))).Append('\n');
        return s.ToString();
    }

    /// <summary>Builds the script (see <see cref="Build"/>), creates the log folder and writes the script atomically with mode
    /// 0755.</summary>
    /// <param name="path">The script file to write.</param>
    /// <param name="cellCount">How many cells (array tasks 0..cellCount-1).</param>
    /// <param name="options">The Slurm settings.</param>
    /// <param name="cellCommand">The program and its arguments, with <c>{index}</c> for the task's index.</param>
    /// <param name="logFolder">Where each task's stdout and stderr go; created here, since Slurm does not create it.</param>
    /// <param name="workingDirectory">The folder each task runs in.</param>
    /// <param name="exports">Environment variables the script exports; null exports TRAJECTORYLAB_ROOT when it is set here.</param>
    /// <param name="arrayIndices">The cells to run, or null for all.</param>
    /// <returns>The script text that was written.</returns>
    public static string Write(
        string path,
        int cellCount,
        SlurmOptions options,
        IReadOnlyList<string> cellCommand,
        string logFolder,
        string workingDirectory,
        IReadOnlyDictionary<string, string>? exports = null,
        IReadOnlyList<int>? arrayIndices = null
    )
    {
        var text = Build(cellCount, options, cellCommand, logFolder, workingDirectory, exports, arrayIndices);
        Directory.CreateDirectory(logFolder);
        AtomicFile.WriteAllText(path, text);
        if (!OperatingSystem.IsWindows())
            File.SetUnixFileMode(
                path,
                UnixFileMode.UserRead
                    | UnixFileMode.UserWrite
                    | UnixFileMode.UserExecute
                    | UnixFileMode.GroupRead
                    | UnixFileMode.GroupExecute
                    | UnixFileMode.OtherRead
                    | UnixFileMode.OtherExecute
            );
        return text;
    }

    /// <summary>The <c>--array</c> value of some cells: sorted, distinct, consecutive runs as ranges (<c>0-2,5,7-9</c>).</summary>
    /// <param name="indices">At least one index in [0, <paramref name="cellCount"/>).</param>
    /// <param name="cellCount">The sweep's cells.</param>
    /// <exception cref="ArgumentException">No index, or one outside the sweep.</exception>
    public static string ArraySpec(IReadOnlyList<int> indices, int cellCount)
    {
        if (indices.Count == 0)
            throw new ArgumentException("arrayIndices must name at least one cell", "arrayIndices");
        foreach (var i in indices.Where(i => i < 0 || i >= cellCount))
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"arrayIndices: {i} is not a cell of 0..{cellCount - 1}"),
                "arrayIndices"
            );
        var sorted = indices.Distinct().Order().ToArray();
        var parts = new List<string>();
        for (var start = 0; start < sorted.Length; )
        {
            var end = start;
            while (end + 1 < sorted.Length && sorted[end + 1] == sorted[end] + 1)
                end++;
            parts.Add(
                end == start
                    ? sorted[start].ToString(CultureInfo.InvariantCulture)
                    : string.Create(CultureInfo.InvariantCulture, $"{sorted[start]}-{sorted[end]}")
            );
            start = end + 1;
        }
        return string.Join(',', parts);
    }

    /// <summary>Quotes one word for bash: single quotes, each embedded single quote written as <c>'\''</c>.</summary>
    /// <param name="word">Any text; nothing in it is expanded by the shell.</param>
    public static string Quote(string word) => "'" + word.Replace("'", @"'\''", StringComparison.Ordinal) + "'";

    /// <summary>One argument of the cell command: quoted pieces with <c>"$SLURM_ARRAY_TASK_ID"</c> where <c>{index}</c> was.</summary>
    /// <param name="argument">The argument as the program should receive it, <c>{index}</c> aside.</param>
    public static string RenderArgument(string argument)
    {
        if (argument.Contains('\0'))
            throw new ArgumentException("an argument of cellCommand contains a NUL character", nameof(argument));
        var pieces = argument.Split(IndexToken);
        var s = new StringBuilder();
        for (var i = 0; i < pieces.Length; i++)
        {
            if (i > 0)
                s.Append("\"$SLURM_ARRAY_TASK_ID\"");
            if (pieces[i].Length > 0 || pieces.Length == 1)
                s.Append(Quote(pieces[i]));
        }
        return s.ToString();
    }

    static Dictionary<string, string> DefaultExports()
    {
        var root = Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT");
        return string.IsNullOrEmpty(root) ? [] : new() { ["TRAJECTORYLAB_ROOT"] = root };
    }

    // #SBATCH lines are parsed by sbatch, not by a shell: a path there cannot be quoted, and % starts a filename pattern.
    static void CheckSbatchPath(string path, string name)
    {
        if (string.IsNullOrEmpty(path) || path.Any(ch => char.IsWhiteSpace(ch) || ch is '"' or '\'' or '%' or '\\' or '\0'))
            throw new ArgumentException($"{name} '{path}' must be a non-empty path without whitespace, quotes, backslashes or %", name);
    }
}

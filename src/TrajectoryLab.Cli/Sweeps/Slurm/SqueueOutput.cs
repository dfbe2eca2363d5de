// Parses `squeue -r -h -o "%i|%T|%r"` lines into one state per array task, expanding the pending-range form
// "<job>_[0-7%2]" (or "<job>_[2,4-7]") that squeue prints when -r is left off.
// Reference: https://slurm.schedmd.com/squeue.html (the %i, %T and %r fields; job states).
using System.Globalization;

namespace TrajectoryLab.Cli.Sweeps.Slurm;

/// <summary>The state of one task of a Slurm job (one array task, or the whole job when it is not an array).</summary>
/// <param name="JobId">The array's job id (the part before the underscore).</param>
/// <param name="ArrayIndex">The array task's index, or null for a job that is not an array.</param>
/// <param name="State">Slurm's state name: PENDING, RUNNING, COMPLETED, FAILED, CANCELLED, TIMEOUT, ...</param>
/// <param name="Reason">Why it waits or ended, as squeue says (<c>None</c> when nothing to say).</param>
public sealed record SlurmTaskState(string JobId, int? ArrayIndex, string State, string Reason)
{
    static readonly HashSet<string> ActiveStates = new(StringComparer.Ordinal)
    {
        "PENDING",
        "RUNNING",
        "CONFIGURING",
        "COMPLETING",
        "SUSPENDED",
        "REQUEUED",
        "REQUEUE_HOLD",
        "REQUEUE_FED",
        "RESIZING",
        "SIGNALING",
        "STAGE_OUT",
        "STOPPED",
    };

    /// <summary>Whether the task has not finished yet (waiting, starting, running, finishing or held).</summary>
    public bool IsActive => ActiveStates.Contains(State);
}

/// <summary>The squeue output format TrajectoryLab asks for, and its parser.</summary>
public static class SqueueOutput
{
    /// <summary>The <c>-o</c> format: job id (with <c>_index</c> for array tasks), full state name, reason.</summary>
    public const string Format = "%i|%T|%r";

    /// <summary>Parses squeue's lines (no header) into task states; range lines are expanded to one state per index.</summary>
    /// <param name="text">squeue's standard output.</param>
    /// <exception cref="FormatException">A line is not <c>id|STATE|reason</c>; the message quotes it.</exception>
    public static IReadOnlyList<SlurmTaskState> Parse(string text)
    {
        var tasks = new List<SlurmTaskState>();
        foreach (var raw in text.Split('\n'))
        {
            var line = raw.Trim();
            if (line.Length == 0)
                continue;
            var fields = line.Split('|', 3);
            if (fields.Length != 3 || fields[1].Length == 0)
                throw new FormatException($"squeue line '{line}' is not 'id|STATE|reason'");
            var (id, state, reason) = (fields[0].Trim(), fields[1].Trim(), fields[2].Trim());
            var underscore = id.IndexOf('_');
            if (underscore < 0)
            {
                tasks.Add(new SlurmTaskState(CheckJobId(id, line), null, state, reason));
                continue;
            }
            var job = CheckJobId(id[..underscore], line);
            foreach (var index in ExpandIndices(id[(underscore + 1)..], line))
                tasks.Add(new SlurmTaskState(job, index, state, reason));
        }
        return tasks;
    }

    /// <summary>The indices of an array-task id suffix: <c>3</c>, or <c>[0-7%2]</c>, <c>[2,4-7]</c>, <c>[1-9:2]</c>.</summary>
    /// <param name="suffix">The part after <c>jobid_</c>.</param>
    /// <param name="line">The whole line, for the error message.</param>
    public static IEnumerable<int> ExpandIndices(string suffix, string line)
    {
        if (!suffix.StartsWith('['))
            return [ParseIndex(suffix, line)];
        if (!suffix.EndsWith(']'))
            throw new FormatException($"squeue line '{line}': unterminated task range '{suffix}'");
        var body = suffix[1..^1];
        var percent = body.IndexOf('%');
        if (percent >= 0)
            body = body[..percent]; // the %C throttle is not an index
        var indices = new List<int>();
        foreach (var part in body.Split(',', StringSplitOptions.RemoveEmptyEntries))
        {
            var stepAt = part.IndexOf(':');
            var step = stepAt >= 0 ? ParseIndex(part[(stepAt + 1)..], line) : 1;
            var range = stepAt >= 0 ? part[..stepAt] : part;
            var dash = range.IndexOf('-');
            var first = ParseIndex(dash >= 0 ? range[..dash] : range, line);
            var last = dash >= 0 ? ParseIndex(range[(dash + 1)..], line) : first;
            if (step < 1 || last < first)
                throw new FormatException($"squeue line '{line}': bad task range '{part}'");
            for (var i = first; i <= last; i += step)
                indices.Add(i);
        }
        return indices;
    }

    static int ParseIndex(string text, string line) =>
        int.TryParse(text, NumberStyles.None, CultureInfo.InvariantCulture, out var i)
            ? i
            : throw new FormatException($"squeue line '{line}': '{text}' is not an array task index");

    static string CheckJobId(string id, string line) =>
        id.Length > 0 && id.All(char.IsAsciiDigit) ? id : throw new FormatException($"squeue line '{line}': '{id}' is not a job id");
}

// The Slurm settings of a sweep submitted as a job array (issue 10): partition, GPUs and CPUs per task, the
// time limit, how many array tasks may run at once, the job name and any extra raw #SBATCH lines.
// Reference: https://slurm.schedmd.com/sbatch.html (Slurm 22.05).
using System.Text.RegularExpressions;

namespace TrajectoryLab.Cli.Sweeps.Slurm;

/// <summary>How each array task of a sweep is requested from Slurm.</summary>
/// <param name="JobName">The job's name (<c>--job-name</c>); no whitespace.</param>
/// <param name="Partition">The partition (<c>--partition</c>), or null for the cluster's default.</param>
/// <param name="GpusPerTask">GPUs per array task (<c>--gpus-per-task</c>, which needs select/cons_tres); 0 requests none.</param>
/// <param name="CpusPerTask">CPUs per array task (<c>--cpus-per-task</c>), at least 1.</param>
/// <param name="Time">The time limit per task in Slurm's format (<c>minutes</c>, <c>minutes:seconds</c>, <c>hours:minutes:seconds</c>,
/// <c>days-hours</c>, <c>days-hours:minutes</c>, <c>days-hours:minutes:seconds</c>, or <c>UNLIMITED</c>), or null for the partition's
/// default.</param>
/// <param name="MaxConcurrent">At most this many array tasks run at once (the <c>%C</c> of <c>--array</c>), or null for no limit.</param>
/// <param name="ExtraSbatch">Raw lines copied into the script after the generated ones; each must start with <c>#SBATCH </c>.</param>
public sealed record SlurmOptions(
    string JobName = "trajectorylab",
    string? Partition = null,
    int GpusPerTask = 0,
    int CpusPerTask = 1,
    string? Time = null,
    int? MaxConcurrent = null,
    IReadOnlyList<string>? ExtraSbatch = null
)
{
    static readonly Regex TimeFormat = new(
        @"^(\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2}|UNLIMITED|INFINITE)$",
        RegexOptions.CultureInvariant | RegexOptions.IgnoreCase
    );

    static readonly Regex Word = new(@"^[A-Za-z0-9_.,:+\-]+$", RegexOptions.CultureInvariant);

    /// <summary>Whether <paramref name="time"/> is in one of Slurm's time-limit formats.</summary>
    /// <param name="time">A value for <c>--time</c>, e.g. <c>90</c>, <c>2:00:00</c> or <c>1-12</c>.</param>
    public static bool IsValidTime(string time) => TimeFormat.IsMatch(time);

    /// <summary>Checks every option; throws an <see cref="ArgumentException"/> that names the option at fault.</summary>
    public void Validate()
    {
        if (string.IsNullOrWhiteSpace(JobName) || !Word.IsMatch(JobName))
            throw new ArgumentException($"JobName '{JobName}' must be non-empty letters, digits or _.,:+- (no spaces)", nameof(JobName));
        if (Partition is not null && !Word.IsMatch(Partition))
            throw new ArgumentException(
                $"Partition '{Partition}' must be a partition name (letters, digits, _.,:+-), e.g. 'gpu'",
                nameof(Partition)
            );
        if (GpusPerTask < 0)
            throw new ArgumentOutOfRangeException(nameof(GpusPerTask), GpusPerTask, "GpusPerTask must be 0 (no GPU) or more");
        if (CpusPerTask < 1)
            throw new ArgumentOutOfRangeException(nameof(CpusPerTask), CpusPerTask, "CpusPerTask must be at least 1");
        if (Time is not null && !IsValidTime(Time))
            throw new ArgumentException(
                $"Time '{Time}' is not a Slurm time limit: use minutes, minutes:seconds, hours:minutes:seconds, days-hours, "
                    + "days-hours:minutes, days-hours:minutes:seconds or UNLIMITED",
                nameof(Time)
            );
        if (MaxConcurrent is < 1)
            throw new ArgumentOutOfRangeException(
                nameof(MaxConcurrent),
                MaxConcurrent,
                "MaxConcurrent must be at least 1 (or unset for no limit)"
            );
        foreach (var line in ExtraSbatch ?? [])
            if (!line.StartsWith("#SBATCH ", StringComparison.Ordinal) || line.Contains('\n') || line.Contains('\r'))
                throw new ArgumentException($"ExtraSbatch line '{line}' must be one line starting with '#SBATCH '", nameof(ExtraSbatch));
    }
}

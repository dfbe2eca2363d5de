// `trajectorylab bench <name> [overrides]`: runs the benchmark experiment experiments/bench-<name>.json.
// Benchmarks are experiments like any other (validated config, run folder, CSV, plots, report), so their
// figures are reproducible and comparable across machines; speed targets live here, never in timed unit tests.
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Cli.Commands;

/// <summary>Runs a named benchmark: <c>bench decode</c> is <c>run bench-decode</c>.</summary>
public sealed class BenchCommand(RunCommand run, ExperimentCatalog catalog) : ICommand
{
    public string Name => "bench";
    public string Summary => "run a benchmark: trajectorylab bench <name> [--set key=value ...] (experiments/bench-<name>.json)";
    public string Help =>
        $"""
            usage: trajectorylab bench <name> [overrides] [--results DIR]

            Runs experiments/bench-<name>.json like `trajectorylab run bench-<name>`: every figure is measured
            in one run against a baseline measured in the same run, and reported as a ratio.
            benchmarks: {string.Join(", ", Benchmarks())}
            """;

    public int Execute(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        if (args.Count == 0 || args[0].StartsWith("--", StringComparison.Ordinal))
            return Usage.Error(this, $"which benchmark? ({string.Join(", ", Benchmarks())})");
        return run.Execute(["bench-" + args[0], .. args.Skip(1)], cancellation);
    }

    IEnumerable<string> Benchmarks() =>
        catalog.List().Where(e => e.Name.StartsWith("bench-", StringComparison.Ordinal)).Select(e => e.Name["bench-".Length..]);
}

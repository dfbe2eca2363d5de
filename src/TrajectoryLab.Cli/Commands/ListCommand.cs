// `trajectorylab list`: the named experiments with one-line descriptions.
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Cli.Commands;

/// <summary>Lists experiments/*.json with their kind and description.</summary>
public sealed class ListCommand(ExperimentCatalog catalog) : ICommand
{
    public string Name => "list";
    public string Summary => "list the named experiments with one-line descriptions";
    public string Help =>
        """
            usage: trajectorylab list

            Lists every experiment file in the experiments folder (TRAJECTORYLAB_EXPERIMENTS overrides it)
            with its kind and its one-line description. Run one with `trajectorylab run <name>`.
            """;

    public int Execute(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        if (args.Count > 0)
            return Usage.Error(this, $"unexpected argument '{args[0]}'");
        var entries = catalog.List();
        if (entries.Count == 0)
        {
            Console.WriteLine($"no experiments in {catalog.Folder}");
            return ExitCodes.Ok;
        }
        int width = entries.Max(e => e.Name.Length);
        foreach (var e in entries)
            Console.WriteLine($"{e.Name.PadRight(width)}  {e.Description}");
        return ExitCodes.Ok;
    }
}

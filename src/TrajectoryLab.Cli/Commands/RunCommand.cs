// `trajectorylab run <name | file.json> [overrides]`: bind and validate the configuration, then run the experiment.
using Microsoft.Extensions.Logging;
using TrajectoryLab.Cli.Configuration;
using TrajectoryLab.Cli.Runs;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Cli.Commands;

/// <summary>Runs a named experiment or an experiment file into a new run folder.</summary>
public sealed class RunCommand(
    ExperimentCatalog catalog,
    ExperimentRegistry registry,
    ExperimentRunner runner,
    ProjectPaths paths,
    ILogger<RunCommand> log
) : ICommand
{
    public string Name => "run";
    public string Summary => "run an experiment: trajectorylab run <name | file.json> [--set key=value ...]";
    public string Help =>
        """
            usage: trajectorylab run <name | path/to/experiment.json> [overrides] [--results DIR]

            Runs the experiment into results/<name>/<UTC timestamp>/ (manifest.json, config.json, CSV, SVG/PNG
            plots, report.md and report.html) and updates results/index.html.

            overrides (any key of the experiment file, nested keys with '.' or ':'):
              --set steps=2000            sets "steps"
              --set spectrum.k=2          sets "spectrum": { "k": ... }
              --spectrum:k=2              the same, Microsoft.Extensions.Configuration style
            The configuration is bound and validated before any work starts: an unknown key, a value of the
            wrong type or out of range fails at once, naming the file and the key (exit code 2).

              --results DIR               write run folders under DIR instead of results/
            Ctrl-C stops the run at its next step; finished files stay whole and the manifest says "cancelled".
            """;

    public int Execute(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        string? target = null,
            results = null;
        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        for (int i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a == "--set" || a == "--results")
            {
                if (i + 1 >= args.Count)
                    return Usage.Error(this, $"{a} needs a value");
                var value = args[++i];
                if (a == "--results")
                {
                    results = value;
                    continue;
                }
                var eq = value.IndexOf('=');
                if (eq <= 0)
                    return Usage.Error(this, $"--set expects key=value, got '{value}'");
                overrides[value[..eq]] = value[(eq + 1)..];
            }
            else if (a.StartsWith("--", StringComparison.Ordinal))
            {
                var body = a[2..];
                var eq = body.IndexOf('=');
                if (eq > 0)
                    overrides[body[..eq]] = body[(eq + 1)..];
                else if (i + 1 < args.Count)
                    overrides[body] = args[++i];
                else
                    return Usage.Error(this, $"{a} needs a value");
            }
            else if (target is null)
                target = a;
            else
                return Usage.Error(this, $"unexpected argument '{a}'");
        }
        if (target is null)
            return Usage.Error(this, "which experiment? (see `trajectorylab list`)");

        ExperimentConfig config;
        IExperiment experiment;
        ExperimentOptions options;
        string file;
        try
        {
            // Messages name the file as the user sees it.
            file = Path.GetRelativePath(Environment.CurrentDirectory, catalog.Resolve(target));
            config = ExperimentConfig.Load(file, overrides);
            var kind = config.Root["kind"];
            if (string.IsNullOrWhiteSpace(kind))
                throw new ConfigException(config.SourceOf("kind"), "kind", $"missing; known kinds: {string.Join(", ", registry.Kinds)}");
            experiment = registry.Find(kind)
                ?? throw new ConfigException(
                    config.SourceOf("kind"),
                    "kind",
                    $"unknown kind '{kind}'; known kinds: {string.Join(", ", registry.Kinds)}"
                );
            options = (ExperimentOptions)StrictBinder.Bind(config.Root, experiment.OptionsType, config.SourceOf);
            if (options is IPreflight preflight && preflight.Check(paths) is var (key, problem))
                throw new ConfigException(config.SourceOf(key), key, problem);
        }
        catch (Exception e) when (e is ConfigException or FileNotFoundException)
        {
            Console.Error.WriteLine($"trajectorylab run: {e.Message}");
            return ExitCodes.BadInput;
        }

        var name = ExperimentCatalog.NameOf(file);
        var outcome = runner.Run(
            name,
            file,
            experiment,
            options,
            new ProjectPaths(paths.Root, paths.Experiments, results ?? paths.Results),
            cancellation
        );
        log.LogInformation("{Status}: {Folder}", outcome.Status, outcome.Folder);
        if (outcome.Error is not null)
            Console.Error.WriteLine($"trajectorylab run: {name} failed: {outcome.Error}");
        Console.WriteLine(Path.Combine(outcome.Folder, "report.html"));
        return outcome.Status switch
        {
            RunStatus.Completed => ExitCodes.Ok,
            RunStatus.Cancelled => ExitCodes.Cancelled,
            _ => ExitCodes.Failed,
        };
    }
}

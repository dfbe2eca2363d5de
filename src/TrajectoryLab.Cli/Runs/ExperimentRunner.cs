// Runs one experiment into a fresh run folder: effective config, manifest at start and end, the experiment itself,
// the report, and the results index. Failures and Ctrl-C are recorded in the manifest; no file is left half-written.
using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Serialization;
using Microsoft.Extensions.Logging;
using TrajectoryLab.Core.IO;
using TrajectoryLab.Experiments;
using TrajectoryLab.Reporting.Index;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Cli.Runs;

/// <summary>What a run ended as, where its folder is, and (when it failed) the one-line error for the console.</summary>
public sealed record RunOutcome(string Folder, RunStatus Status, string? Error = null);

/// <summary>Creates run folders and runs experiments in them.</summary>
public sealed class ExperimentRunner(ILoggerFactory loggers)
{
    /// <summary>The JSON form of an effective configuration: camelCase, enums as strings, read-only properties left out
    /// (so that `trajectorylab run &lt;folder&gt;/config.json` binds it strictly again).</summary>
    public static readonly JsonSerializerOptions ConfigJson = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        IgnoreReadOnlyProperties = true,
        DefaultIgnoreCondition = JsonIgnoreCondition.WhenWritingNull, // an absent optional key binds back to null
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>
    /// Runs <paramref name="experiment"/> with validated <paramref name="options"/> into
    /// <c>{paths.Results}/{name}/{UTC timestamp}/</c> and returns how it ended.
    /// </summary>
    public RunOutcome Run(
        string name,
        string configFile,
        IExperiment experiment,
        ExperimentOptions options,
        ProjectPaths paths,
        CancellationToken cancellation
    )
    {
        var now = DateTime.UtcNow;
        var started = now.AddTicks(-(now.Ticks % TimeSpan.TicksPerSecond)); // whole seconds, as in the folder name
        var folder = CreateRunFolder(Path.Combine(paths.Results, name), started);
        var outcome = RunIn(folder, started, name, configFile, experiment, options, paths, cancellation);
        ResultsIndex.Write(paths.Results);
        return outcome;
    }

    /// <summary>
    /// Runs <paramref name="experiment"/> into the existing, empty <paramref name="folder"/> (a sweep cell's folder), started at
    /// <paramref name="started"/>; unlike <see cref="Run"/> it does not update the results index.
    /// </summary>
    public RunOutcome RunIn(
        string folder,
        DateTime started,
        string name,
        string configFile,
        IExperiment experiment,
        ExperimentOptions options,
        ProjectPaths paths,
        CancellationToken cancellation
    )
    {
        var log = loggers.CreateLogger($"TrajectoryLab.{name}");
        var config = JsonSerializer.SerializeToNode(options, options.GetType(), ConfigJson); // written once, read for the device below
        AtomicFile.WriteAllText(Path.Combine(folder, "config.json"), config!.ToJsonString(ConfigJson));

        var manifest = new Manifest
        {
            Experiment = name,
            Kind = experiment.Kind,
            ConfigFile = Path.GetRelativePath(paths.Root, Path.GetFullPath(configFile)),
            Seed = options.Seed,
            Device = DeviceOf(config) ?? "cpu",
            Status = RunStatus.Running,
            StartedUtc = started,
            Git = Provenance.Git(paths.Root),
            Machine = Provenance.Machine(),
            Versions = Provenance.Versions(typeof(MathNet.Numerics.Control), typeof(OxyPlot.PlotModel), typeof(TorchSharp.torch)),
        };
        manifest.Save(folder);
        log.LogInformation("running {Experiment} ({Kind}, seed {Seed}) into {Folder}", name, experiment.Kind, options.Seed, folder);

        var clock = Stopwatch.StartNew();
        var context = new RunContext(name, folder, log, cancellation);
        RunStatus status;
        string? error = null,
            consoleError = null;
        try
        {
            var result = experiment.Measure(options, context);
            ResultFile.Save(folder, result, experiment.ResultType); // kept even if the report fails
            experiment.Report(options, result, context);
            status = RunStatus.Completed;
        }
        catch (OperationCanceledException) when (cancellation.IsCancellationRequested)
        {
            status = RunStatus.Cancelled;
            log.LogWarning("cancelled after {Seconds:F1} s; finished files are kept", clock.Elapsed.TotalSeconds);
        }
        catch (Exception e)
        {
            status = RunStatus.Failed;
            error = e.ToString(); // the manifest keeps the whole exception; the console gets one line
            consoleError = ErrorLog.Describe(e);
        }

        manifest = manifest with
        {
            Status = status,
            FinishedUtc = DateTime.UtcNow,
            WallSeconds = Math.Round(clock.Elapsed.TotalSeconds, 3),
            Error = error,
            Headline = context.Headlines,
            PhaseSeconds = context.PhaseSeconds,
        };
        WriteReport(context, manifest);
        manifest.Save(folder);
        return new RunOutcome(folder, status, consoleError);
    }

    /// <summary>The first "device" value of an effective configuration (top level first, then nested blocks such as
    /// "model"), or null when the experiment names none (it then runs on the CPU).</summary>
    internal static string? DeviceOf(System.Text.Json.Nodes.JsonNode? node)
    {
        if (node is not System.Text.Json.Nodes.JsonObject o)
            return null;
        if (o.TryGetPropertyValue("device", out var d) && d is System.Text.Json.Nodes.JsonValue v && v.TryGetValue<string>(out var device))
            return device;
        return o.Select(kv => DeviceOf(kv.Value)).FirstOrDefault(x => x is not null);
    }

    /// <summary>A new folder named by the UTC start time (yyyy-MM-ddTHH-mm-ssZ), suffixed -2, -3 … if taken.</summary>
    static string CreateRunFolder(string experimentFolder, DateTime started)
    {
        var stamp = started.ToString("yyyy-MM-dd'T'HH-mm-ss'Z'", CultureInfo.InvariantCulture);
        for (int n = 1; ; n++)
        {
            var folder = Path.Combine(experimentFolder, n == 1 ? stamp : $"{stamp}-{n}");
            if (Directory.Exists(folder))
                continue;
            Directory.CreateDirectory(folder);
            return folder;
        }
    }

    /// <summary>The first line of an exception's text, without the exception type's name.</summary>
    static string FirstLine(string error)
    {
        var line = error.Split('\n')[0].TrimEnd();
        var colon = line.IndexOf(": ", StringComparison.Ordinal);
        return colon > 0 && !line[..colon].Contains(' ') ? line[(colon + 2)..] : line;
    }

    /// <summary>A "cache policy" row when the run's configuration set one (<c>model:cache</c>, or <c>cache</c> in generate), so
    /// that no report of a run under a policy reads as one of full attention.</summary>
    static KeyValue[] CachePolicyRow(string folder)
    {
        var file = Path.Combine(folder, "config.json");
        if (!File.Exists(file))
            return [];
        using var config = JsonDocument.Parse(File.ReadAllText(file));
        var root = config.RootElement;
        var cache =
            root.TryGetProperty("model", out var model)
            && model.ValueKind == JsonValueKind.Object
            && model.TryGetProperty("cache", out var c)
                ? c
            : root.TryGetProperty("cache", out var top) ? top
            : default;
        if (cache.ValueKind != JsonValueKind.Object)
            return [];
        var sinks = cache.TryGetProperty("sinks", out var k) ? k.GetRawText() : "0";
        var window = cache.TryGetProperty("window", out var w) ? w.GetRawText() : "?";
        return [new("cache policy", $"{sinks} sinks + a window of {window} in every full-attention layer (StreamingLLM)")];
    }

    /// <summary>Writes report.md / report.html / report.json (of a run just made, or re-rendered by `report`): headline numbers first, the
    /// experiment's sections, then the run's provenance.</summary>
    public static void WriteReport(RunContext context, Manifest manifest)
    {
        var headline = new Section(
            "Key numbers",
            [
                new KeyValueTable(
                    context
                        .Headlines.Select(h => h.Value is double d ? KeyValue.Of(h.Key, d) : new KeyValue(h.Key, h.Value.ToString()!))
                        .ToArray()
                ),
            ]
        );
        var run = new Section(
            "Run",
            [
                new KeyValueTable([
                    new("status", manifest.Status.ToString().ToLowerInvariant()),
                    new("experiment", $"{manifest.Experiment} ({manifest.Kind}), {manifest.ConfigFile}"),
                    KeyValue.Of("seed", manifest.Seed),
                    KeyValue.Of("wall time", manifest.WallSeconds, "s"),
                    .. manifest.PhaseSeconds.Select(p => KeyValue.Of($"phase: {p.Key}", p.Value, "s")),
                    .. CachePolicyRow(context.Folder),
                    new("started (UTC)", manifest.StartedUtc.ToString("u", CultureInfo.InvariantCulture)),
                    new("git commit", (manifest.Git.Commit ?? "unknown") + (manifest.Git.Dirty == true ? " (dirty)" : "")),
                    new(
                        "machine",
                        $"{manifest.Machine.Cores} cores, {manifest.Machine.Cpu ?? manifest.Machine.Architecture}, {manifest.Machine.Os}"
                    ),
                    new(
                        "versions",
                        string.Join(
                            ", ",
                            new[] { $"TrajectoryLab {manifest.Versions.TrajectoryLab}", manifest.Versions.Dotnet }.Concat(
                                manifest.Versions.Libraries.Select(l => $"{l.Key} {l.Value}")
                            )
                        )
                    ),
                ]),
                .. manifest.Error is null
                    ? Array.Empty<ReportBlock>()
                    : [new Paragraph("The run failed: " + FirstLine(manifest.Error) + " (the whole error is in manifest.json)")],
            ]
        );
        ReportWriter.Write(context.Report.Build(context.Headlines.Count > 0 ? [headline] : [], [run]), context.Folder);
    }
}

// manifest.json of a run folder: what ran, with which seed and config, on what, for how long, and how it ended.
using System.Text.Json;
using System.Text.Json.Serialization;
using TrajectoryLab.Core.IO;

namespace TrajectoryLab.Cli.Runs;

/// <summary>How a run ended (or that it has not yet).</summary>
public enum RunStatus
{
    Running,
    Completed,
    Failed,
    Cancelled,
}

/// <summary>The manifest of one run folder, rewritten atomically at start and at the end.</summary>
public sealed record Manifest
{
    public required string Experiment { get; init; }
    public required string Kind { get; init; }
    public required string ConfigFile { get; init; }
    public required int Seed { get; init; }
    public string Device { get; init; } = "cpu";
    public RunStatus Status { get; init; }
    public required DateTime StartedUtc { get; init; }
    public DateTime? FinishedUtc { get; init; }
    public double WallSeconds { get; init; }
    public string? Error { get; init; }
    public required GitInfo Git { get; init; }
    public required MachineInfo Machine { get; init; }
    public required VersionInfo Versions { get; init; }

    /// <summary>Key numbers of the run (name → number or text), shown in the report and in results/index.html.</summary>
    public IReadOnlyDictionary<string, object> Headline { get; init; } = new Dictionary<string, object>();

    /// <summary>Wall time of named phases, in seconds.</summary>
    public IReadOnlyDictionary<string, double> PhaseSeconds { get; init; } = new Dictionary<string, double>();

    /// <summary>camelCase, indented, invariant: the JSON form used for every file a run writes.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Writes the manifest atomically to <paramref name="folder"/>/manifest.json.</summary>
    public void Save(string folder) => AtomicFile.WriteAllText(Path.Combine(folder, "manifest.json"), JsonSerializer.Serialize(this, Json));

    /// <summary>Reads <paramref name="folder"/>/manifest.json.</summary>
    public static Manifest Load(string folder)
    {
        var path = Path.Combine(folder, "manifest.json");
        return JsonSerializer.Deserialize<Manifest>(File.ReadAllText(path), Json)
            ?? throw new InvalidDataException($"{path}: empty manifest");
    }
}

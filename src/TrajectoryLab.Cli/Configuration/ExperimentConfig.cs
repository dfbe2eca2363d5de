// Loads an experiment file plus command-line overrides into one configuration, and remembers where each key came from.
using Microsoft.Extensions.Configuration;

namespace TrajectoryLab.Cli.Configuration;

/// <summary>An experiment's configuration: the JSON file, then overrides (<c>--set a.b=v</c> or <c>--A:B=v</c>) on top.</summary>
public sealed class ExperimentConfig
{
    /// <summary>The experiment file, as given (relative paths stay relative for messages).</summary>
    public string File { get; }

    /// <summary>The merged configuration.</summary>
    public IConfigurationRoot Root { get; }

    readonly IReadOnlyDictionary<string, string?> _overrides;

    ExperimentConfig(string file, IConfigurationRoot root, IReadOnlyDictionary<string, string?> overrides)
    {
        File = file;
        Root = root;
        _overrides = overrides;
    }

    /// <summary>Reads <paramref name="file"/> and applies <paramref name="overrides"/> (key → value, ':' or '.' separated).</summary>
    /// <exception cref="ConfigException">The file is missing or is not valid JSON.</exception>
    public static ExperimentConfig Load(string file, IReadOnlyDictionary<string, string?> overrides)
    {
        if (!System.IO.File.Exists(file)) throw new ConfigException(file, "", "experiment file not found");
        var normalised = overrides.ToDictionary(kv => kv.Key.Replace('.', ':'), kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        var builder = new ConfigurationBuilder()
            .AddJsonFile(Path.GetFullPath(file), optional: false, reloadOnChange: false)
            .AddInMemoryCollection(normalised);
        try
        {
            return new ExperimentConfig(file, builder.Build(), normalised);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or System.Text.Json.JsonException)
        {
            throw new ConfigException(file, "", "not valid JSON: " + (e.InnerException?.Message ?? e.Message));
        }
    }

    /// <summary>Where <paramref name="key"/> was set: "command line" for an override (of it or below it), otherwise the file.</summary>
    public string SourceOf(string key) =>
        key.Length > 0 && _overrides.Keys.Any(k => k.Equals(key, StringComparison.OrdinalIgnoreCase) || k.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase))
            ? $"{File} (overridden on the command line)"
            : File;
}

// The one error type for bad experiment configuration: it names the file and the key at fault.
namespace TrajectoryLab.Cli.Configuration;

/// <summary>A configuration error found before any work starts; the message names the source file and the key.</summary>
public sealed class ConfigException(string source, string key, string problem) : Exception($"{source}: key '{key}': {problem}")
{
    /// <summary>The experiment file the bad value came from (noting a command-line override).</summary>
    public string File { get; } = source;

    /// <summary>The configuration key, in section:key form.</summary>
    public string Key { get; } = key;
}

// Loads an experiment file plus command-line overrides into one configuration, and remembers where each key came from.
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
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

    /// <summary>Reads <paramref name="file"/> and applies <paramref name="overrides"/> (key → value, ':' or '.' separated; a
    /// value that is a JSON array replaces the list at that key).</summary>
    /// <exception cref="ConfigException">The file is missing or is not valid JSON.</exception>
    public static ExperimentConfig Load(string file, IReadOnlyDictionary<string, string?> overrides)
    {
        if (!System.IO.File.Exists(file))
            throw new ConfigException(file, "", "experiment file not found");
        var normalised = overrides.ToDictionary(kv => kv.Key.Replace('.', ':'), kv => kv.Value, StringComparer.OrdinalIgnoreCase);
        try
        {
            // A value written as a JSON array ("--set layers=[1,3]") replaces the file's list whole; configuration
            // sources merge lists element by element, so it goes into the file's JSON before the sources are built.
            var lists = normalised.Where(kv => kv.Value?.TrimStart().StartsWith('[') == true).ToList();
            var json = JsonNode.Parse(
                System.IO.File.ReadAllText(file),
                documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }
            ) ?? throw new ConfigException(file, "", "not valid JSON: empty document");
            foreach (var (key, value) in lists)
                ReplaceList(json, key, value!, file);
            var builder = new ConfigurationBuilder()
                .AddJsonStream(new MemoryStream(Encoding.UTF8.GetBytes(json.ToJsonString())))
                .AddInMemoryCollection(normalised.Where(kv => !lists.Any(l => l.Key == kv.Key)));
            return new ExperimentConfig(file, builder.Build(), normalised);
        }
        catch (Exception e) when (e is FormatException or InvalidDataException or JsonException)
        {
            throw new ConfigException(file, "", "not valid JSON: " + (e.InnerException?.Message ?? e.Message));
        }
    }

    /// <summary>Sets the node at <paramref name="key"/> (':'-separated, case-insensitive, created when missing) to the
    /// JSON array <paramref name="value"/>.</summary>
    static void ReplaceList(JsonNode root, string key, string value, string file)
    {
        JsonArray array;
        try
        {
            array = JsonNode.Parse(value) as JsonArray ?? throw new ConfigException(file, key, $"'{value}' is not a JSON list");
        }
        catch (JsonException e)
        {
            throw new ConfigException(file, key, $"'{value}' is not a JSON list ({e.Message}); quote strings: [\"a\", \"b\"]");
        }
        var node = root;
        var parts = key.Split(':');
        for (var i = 0; i < parts.Length; i++)
        {
            if (node is not JsonObject obj)
                throw new ConfigException(file, key, $"'{string.Join(':', parts[..i])}' is not an object");
            var name = obj.Select(p => p.Key).FirstOrDefault(k => k.Equals(parts[i], StringComparison.OrdinalIgnoreCase)) ?? parts[i];
            if (i == parts.Length - 1)
            {
                obj[name] = array;
                return;
            }
            node = obj[name] ??= new JsonObject();
        }
    }

    /// <summary>Where <paramref name="key"/> was set: "command line" for an override (of it or below it), otherwise the file.</summary>
    public string SourceOf(string key) =>
        key.Length > 0
        && _overrides.Keys.Any(k =>
            k.Equals(key, StringComparison.OrdinalIgnoreCase)
            || k.StartsWith(key + ":", StringComparison.OrdinalIgnoreCase)
            || key.StartsWith(k + ":", StringComparison.OrdinalIgnoreCase)
        ) // an element of an overridden list
            ? $"{File} (overridden on the command line)"
            : File;
}

// The named experiments: one JSON file each in experiments/, found by name or by path.
using System.Text.Json;

namespace TrajectoryLab.Cli.Runs;

/// <summary>An experiment file: its name (file name without .json), kind and one-line description.</summary>
public sealed record ExperimentEntry(string Name, string Path, string Kind, string Description);

/// <summary>Lists and resolves the experiment files of a folder.</summary>
public sealed class ExperimentCatalog(string folder)
{
    /// <summary>The folder searched for named experiments.</summary>
    public string Folder { get; } = folder;

    /// <summary>Every *.json file of the folder (not its subfolders), sorted by name; unreadable files are listed with the
    /// reason.</summary>
    public IReadOnlyList<ExperimentEntry> List() =>
        !Directory.Exists(Folder) ? [] : Directory.GetFiles(Folder, "*.json").Order(StringComparer.Ordinal).Select(Read).ToList();

    /// <summary>
    /// Resolves a name ("henon-spectrum") or a path ("experiments/henon-spectrum.json", a run's config.json) to a file.
    /// </summary>
    /// <exception cref="FileNotFoundException">Neither a file nor a named experiment; the message lists the known names.</exception>
    public string Resolve(string nameOrPath)
    {
        if (File.Exists(nameOrPath))
            return nameOrPath;
        var named = System.IO.Path.Combine(Folder, nameOrPath + ".json");
        if (File.Exists(named))
            return named;
        var known = string.Join(", ", List().Select(e => e.Name));
        throw new FileNotFoundException($"'{nameOrPath}' is neither a file nor an experiment in {Folder} (known: {known})");
    }

    /// <summary>The run name of an experiment file: its file name without extension, or for a run folder's config.json
    /// the experiment its manifest records (so re-running a run's effective config files the new run beside the old).</summary>
    public static string NameOf(string path)
    {
        var manifest = System.IO.Path.Combine(System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(path))!, "manifest.json");
        if (System.IO.Path.GetFileName(path) == "config.json" && File.Exists(manifest))
        {
            try
            {
                using var doc = JsonDocument.Parse(File.ReadAllText(manifest));
                if (doc.RootElement.TryGetProperty("experiment", out var e) && e.ValueKind == JsonValueKind.String)
                    return e.GetString()!;
            }
            catch (JsonException) { }
        }
        return System.IO.Path.GetFileNameWithoutExtension(path);
    }

    static ExperimentEntry Read(string path)
    {
        var name = System.IO.Path.GetFileNameWithoutExtension(path);
        try
        {
            using var doc = JsonDocument.Parse(
                File.ReadAllText(path),
                new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }
            );
            string Get(string key) =>
                doc.RootElement.EnumerateObject().FirstOrDefault(p => p.Name.Equals(key, StringComparison.OrdinalIgnoreCase)).Value
                    is { ValueKind: JsonValueKind.String } v
                    ? v.GetString()!
                    : "";
            return new ExperimentEntry(name, path, Get("kind"), Get("description"));
        }
        catch (JsonException e)
        {
            return new ExperimentEntry(name, path, "", $"(unreadable: {e.Message})");
        }
    }
}

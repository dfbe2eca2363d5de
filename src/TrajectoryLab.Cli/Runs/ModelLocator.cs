// Resolves an experiment's "model" key: "default" is the committed model trained by `run train-brown`
// (models/brown-small/), anything else a Hugging Face folder (relative to the current directory or the repository).
namespace TrajectoryLab.Cli.Runs;

/// <summary>Turns a "model" value into a model folder.</summary>
public static class ModelLocator
{
    /// <summary>The value that names the embedded default model.</summary>
    public const string Default = "default";

    /// <summary>Where the default model lives, relative to the repository root.</summary>
    public static readonly string DefaultFolder = Path.Combine("models", "brown-small");

    /// <summary>The folder <paramref name="model"/> names, or null with <paramref name="problem"/> set when there is none.</summary>
    public static string? TryResolve(string model, ProjectPaths paths, out string? problem)
    {
        var candidates = model == Default
            ? [Path.Combine(paths.Root, DefaultFolder)]
            : new[] { Path.GetFullPath(model), Path.Combine(paths.Root, model) };
        var found = candidates.FirstOrDefault(c => File.Exists(Path.Combine(c, "config.json")));
        problem = found is not null ? null
            : model == Default ? $"the default model is not at {candidates[0]} (train it with `trajectorylab run train-brown` and copy its model/ folder there)"
            : $"no model folder (config.json) at '{model}'";
        return found;
    }
}

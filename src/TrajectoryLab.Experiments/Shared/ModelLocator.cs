// Resolves an experiment's "model" key: "default" is the committed model trained by `run train-brown`
// (models/brown-small/); anything else is a path, relative to the current directory or the repository: a Hugging Face
// folder, a .safetensors file with config.json beside it, or a llama2.c .bin (ModelSource says which files that means).
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>Turns a "model" value (and an optional "tokenizer" value) into the model's files.</summary>
public static class ModelLocator
{
    /// <summary>The value that names the embedded default model.</summary>
    public const string Default = "default";

    /// <summary>Where the default model lives, relative to the repository root.</summary>
    public static readonly string DefaultFolder = Path.Combine("models", "brown-small");

    /// <summary>The files of the model <paramref name="model"/> names.</summary>
    /// <param name="model">"default", or a path (absolute, relative to the current directory, or to the repository root).</param>
    /// <param name="tokenizer">A tokenizer path overriding the one beside the weights, or null.</param>
    /// <param name="paths">The project's paths.</param>
    /// <exception cref="CheckpointException">Nothing usable there; the message names the path.</exception>
    public static ModelSource Resolve(string model, string? tokenizer, ProjectPaths paths)
    {
        if (model == Default)
        {
            var folder = Path.Combine(paths.Root, DefaultFolder);
            if (!Directory.Exists(folder))
                throw new CheckpointException(
                    folder,
                    null,
                    "the default model is not here (train it with `trajectorylab run train-brown` and copy its model/ folder there)"
                );
            return ModelSource.Resolve(folder, Locate(tokenizer, paths));
        }
        if (string.IsNullOrWhiteSpace(model))
            throw new CheckpointException(paths.Root, null, "no model named: give \"default\" or a path");
        return ModelSource.Resolve(Locate(model, paths)!, Locate(tokenizer, paths));
    }

    /// <summary>A path as the user wrote it: taken from the current directory if something is there, else from the repository
    /// root.</summary>
    static string? Locate(string? path, ProjectPaths paths)
    {
        if (string.IsNullOrWhiteSpace(path))
            return null;
        var here = Path.GetFullPath(path);
        var inRepository = Path.Combine(paths.Root, path);
        return File.Exists(here) || Directory.Exists(here) || !(File.Exists(inRepository) || Directory.Exists(inRepository))
            ? here
            : Path.GetFullPath(inRepository);
    }
}

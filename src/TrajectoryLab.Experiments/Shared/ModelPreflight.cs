// The model half of an experiment's preflight: before any run folder exists, the model the configuration names is
// resolved and checked whole (config keys, safetensors headers and offsets, every tensor the architecture needs with
// its shape and dtype, every weight finite, the tokenizer parseable and no larger than the vocabulary), and the device
// is checked. A problem becomes a configuration error on the key that named the model. Checks are remembered per
// process by the files' sizes and times, so a sweep or a test suite does not stream the same weights twice.
using System.Collections.Concurrent;
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>What is wrong with a model: the message (naming the file and the key or tensor), and whether the fault lies in
/// its tokenizer (so that an explicit "tokenizer" key can be blamed).</summary>
public sealed record ModelProblem(string Message, bool InTokenizer);

/// <summary>Checks a model before a run.</summary>
public static class ModelPreflight
{
    static readonly ConcurrentDictionary<string, CheckedModel> Checked = new(StringComparer.Ordinal);

    /// <summary>Resolves and checks the model <paramref name="model"/> names.</summary>
    /// <param name="model">The "model" value ("default" or a path).</param>
    /// <param name="tokenizer">The "tokenizer" value, or null.</param>
    /// <param name="paths">The project's paths.</param>
    /// <param name="result">The checked model, when there is no problem.</param>
    /// <returns>The problem, or null.</returns>
    public static ModelProblem? Check(string model, string? tokenizer, ProjectPaths paths, out CheckedModel? result)
    {
        result = null;
        try
        {
            var source = ModelLocator.Resolve(model, tokenizer, paths);
            var key = Fingerprint(source);
            result = Checked.TryGetValue(key, out var known) ? known : Checked[key] = LanguageModel.Check(source);
            return null;
        }
        catch (CheckpointException e)
        {
            return new ModelProblem(e.Message, tokenizer is not null && e.FilePath == Path.GetFullPath(tokenizer));
        }
        catch (TokenizerFormatException e)
        {
            return new ModelProblem(e.Message, true);
        }
    }

    /// <summary>The model's files with their lengths and modification times: a changed file is checked again.</summary>
    static string Fingerprint(ModelSource source)
    {
        var files = new[] { source.WeightsPath, source.ConfigPath, source.TokenizerPath }
            .Where(f => f is not null)
            .Select(f => f!)
            .ToList();
        if (Path.GetFileName(source.WeightsPath) == ShardIndex.FileName)
            files.AddRange(
                Directory.EnumerateFiles(Path.GetDirectoryName(source.WeightsPath)!, "*.safetensors").Order(StringComparer.Ordinal)
            );
        return string.Join(
            "|",
            files
                .Select(f => new FileInfo(f))
                .Select(f => $"{f.FullName}:{(f.Exists ? f.Length : -1)}:{(f.Exists ? f.LastWriteTimeUtc.Ticks : 0)}")
        );
    }
}

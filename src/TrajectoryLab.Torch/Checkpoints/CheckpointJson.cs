// Reading a checkpoint's JSON files (config.json, the shard index) with errors that name the file.
using System.Text.Json;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>Parses a JSON file of a checkpoint folder.</summary>
internal static class CheckpointJson
{
    /// <summary>The parsed document of <paramref name="filePath"/>; the caller disposes it.</summary>
    /// <param name="filePath">The file.</param>
    /// <param name="what">What the file is, for the message (e.g. "config").</param>
    /// <exception cref="CheckpointException">The file cannot be read or is not valid JSON.</exception>
    public static JsonDocument Parse(string filePath, string what)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(filePath);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(filePath, null, $"cannot read {what} ({e.Message})", e);
        }
        try
        {
            return JsonDocument.Parse(bytes);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(filePath, null, $"not valid JSON ({e.Message})", e);
        }
    }
}

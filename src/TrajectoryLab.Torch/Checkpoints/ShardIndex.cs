// Reads model.safetensors.index.json, the map from tensor name to shard file that Hugging Face writes
// beside sharded checkpoints (model-00001-of-00002.safetensors, ...).
using System.Text.Json;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>The tensor-to-shard map of a sharded safetensors checkpoint.</summary>
/// <param name="FilePath">The index file read.</param>
/// <param name="WeightMap">Tensor name to shard file name (a plain name in the index's folder).</param>
public sealed record ShardIndex(string FilePath, IReadOnlyDictionary<string, string> WeightMap)
{
    /// <summary>The index file name Hugging Face uses.</summary>
    public const string FileName = "model.safetensors.index.json";

    /// <summary>Reads and validates an index file.</summary>
    /// <exception cref="CheckpointException">Missing file, invalid JSON, no weight_map, or a shard name that is not a plain file
    /// name.</exception>
    public static ShardIndex Read(string filePath)
    {
        using (var document = CheckpointJson.Parse(filePath, "shard index"))
        {
            if (
                document.RootElement.ValueKind != JsonValueKind.Object
                || !document.RootElement.TryGetProperty("weight_map", out var map)
                || map.ValueKind != JsonValueKind.Object
            )
                throw CheckpointException.ForKey(filePath, "weight_map", "missing or not an object");
            var weightMap = new Dictionary<string, string>(StringComparer.Ordinal);
            foreach (var item in map.EnumerateObject())
            {
                var shard = item.Value.ValueKind == JsonValueKind.String ? item.Value.GetString()! : null;
                if (shard is null || shard.Length == 0 || shard != Path.GetFileName(shard) || shard is "." or "..")
                    throw CheckpointException.ForTensor(filePath, item.Name, "shard must be a plain file name in the index's folder");
                if (!weightMap.TryAdd(item.Name, shard))
                    throw CheckpointException.ForTensor(filePath, item.Name, "is listed twice in weight_map");
            }
            return new ShardIndex(filePath, weightMap);
        }
    }
}

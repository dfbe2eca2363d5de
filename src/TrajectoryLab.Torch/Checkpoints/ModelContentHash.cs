// A model's content hash: SHA-256 over the bytes of every file that decides its next-token probabilities: config.json,
// the weights (the safetensors file, or the shard index and every shard it names, or the llama2.c .bin) and the
// tokenizer, each preceded by its role and length, in a fixed order. Two models with the same hash compute the same
// function; a compressed text records its coder's hash so that it is never decoded with another model.
using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>SHA-256 of a model's files.</summary>
public static class ModelContentHash
{
    /// <summary>The 32-byte content hash of the model at <paramref name="source"/>.</summary>
    /// <exception cref="IOException">A file cannot be read.</exception>
    public static byte[] Of(ModelSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        Append(sha, "config", source.ConfigPath);
        if (Path.GetFileName(source.WeightsPath) == ShardIndex.FileName)
        {
            Append(sha, "index", source.WeightsPath);
            var folder = Path.GetDirectoryName(source.WeightsPath)!;
            foreach (var shard in ShardIndex.Read(source.WeightsPath).WeightMap.Values.Distinct().Order(StringComparer.Ordinal))
                Append(sha, "shard " + shard, Path.Combine(folder, shard));
        }
        else
            Append(sha, "weights", source.WeightsPath);
        Append(sha, "tokenizer", source.TokenizerPath);
        return sha.GetHashAndReset();
    }

    private static void Append(IncrementalHash sha, string role, string? path)
    {
        sha.AppendData(Encoding.UTF8.GetBytes(role + "\n"));
        Span<byte> length = stackalloc byte[8];
        if (path is null)
        {
            BinaryPrimitives.WriteInt64LittleEndian(length, -1); // absent, unlike empty
            sha.AppendData(length);
            return;
        }
        using var stream = File.OpenRead(path);
        BinaryPrimitives.WriteInt64LittleEndian(length, stream.Length);
        sha.AppendData(length);
        var buffer = new byte[1 << 20];
        int read;
        while ((read = stream.Read(buffer)) > 0)
            sha.AppendData(buffer, 0, read);
    }
}

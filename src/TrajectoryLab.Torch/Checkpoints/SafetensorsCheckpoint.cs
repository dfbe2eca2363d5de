// The weights of a Hugging Face model folder: model.safetensors, or shards listed in model.safetensors.index.json.
// Every shard header is validated on open, and the index must agree exactly with the shards' contents.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>Named tensors of a model folder, read from one safetensors file or from several shards.</summary>
public sealed class SafetensorsCheckpoint : IDisposable
{
    /// <summary>The single-file weight file name Hugging Face uses.</summary>
    public const string SingleFileName = "model.safetensors";

    private readonly List<SafetensorsReader> _readers;
    private readonly Dictionary<string, SafetensorsReader> _readerOf;

    private SafetensorsCheckpoint(string folder, List<SafetensorsReader> readers, Dictionary<string, SafetensorsReader> readerOf)
    {
        Folder = folder;
        _readers = readers;
        _readerOf = readerOf;
    }

    /// <summary>The model folder.</summary>
    public string Folder { get; }

    /// <summary>The file a message about the checkpoint as a whole names: the one safetensors file, or the shard index.</summary>
    public string DescribedBy => _sharded ? Path.Combine(Folder, ShardIndex.FileName) : _readers[0].FilePath;

    private bool _sharded; // opened through model.safetensors.index.json

    /// <summary>All tensor names, in the order of their files and offsets.</summary>
    public IEnumerable<string> Names => _readers.SelectMany(r => r.Header.Tensors.Select(t => t.Name));

    /// <summary>Opens the weights of <paramref name="folder"/>: <c>model.safetensors</c> if present, else the shards its index
    /// names.</summary>
    /// <exception cref="CheckpointException">No weights found, a shard is invalid, or the index disagrees with the shards.</exception>
    public static SafetensorsCheckpoint Open(string folder)
    {
        var single = Path.Combine(folder, SingleFileName);
        if (File.Exists(single))
            return OpenFile(single);
        var indexPath = Path.Combine(folder, ShardIndex.FileName);
        if (!File.Exists(indexPath))
            throw new CheckpointException(single, null, $"file not found, and there is no {ShardIndex.FileName} beside it");
        return OpenSharded(folder, ShardIndex.Read(indexPath));
    }

    /// <summary>Opens one safetensors file (any name) or, given a <c>model.safetensors.index.json</c>, the shards it names.</summary>
    /// <exception cref="CheckpointException">The file is invalid, or a shard disagrees with the index.</exception>
    public static SafetensorsCheckpoint OpenFile(string filePath)
    {
        var folder = Path.GetDirectoryName(Path.GetFullPath(filePath))!;
        if (Path.GetFileName(filePath) == ShardIndex.FileName)
            return OpenSharded(folder, ShardIndex.Read(filePath));
        var reader = SafetensorsReader.Open(filePath);
        return new SafetensorsCheckpoint(
            folder,
            [reader],
            reader.Header.Tensors.ToDictionary(t => t.Name, _ => reader, StringComparer.Ordinal)
        );
    }

    /// <summary>The files a checkpoint at <paramref name="weightsPath"/> (a safetensors file or a shard index) consists of,
    /// for listing a broken file's names (<see cref="SafetensorsReader.TensorNames"/>).</summary>
    internal static IReadOnlyList<string> Files(string weightsPath)
    {
        if (Path.GetFileName(weightsPath) != ShardIndex.FileName)
            return [weightsPath];
        var folder = Path.GetDirectoryName(Path.GetFullPath(weightsPath))!;
        return
        [
            .. ShardIndex.Read(weightsPath).WeightMap.Values.Distinct().Order(StringComparer.Ordinal).Select(s => Path.Combine(folder, s)),
        ];
    }

    /// <summary>The file holding the weights of <paramref name="folder"/>: <c>model.safetensors</c>, else the shard index.</summary>
    public static string WeightsPathOf(string folder)
    {
        var single = Path.Combine(folder, SingleFileName);
        var index = Path.Combine(folder, ShardIndex.FileName);
        return File.Exists(single) || !File.Exists(index) ? single : index;
    }

    private static SafetensorsCheckpoint OpenSharded(string folder, ShardIndex index)
    {
        var readers = new List<SafetensorsReader>();
        try
        {
            var byShard = new Dictionary<string, SafetensorsReader>(StringComparer.Ordinal);
            foreach (var shard in index.WeightMap.Values.Distinct().Order(StringComparer.Ordinal))
            {
                var reader = SafetensorsReader.Open(Path.Combine(folder, shard));
                readers.Add(reader);
                byShard[shard] = reader;
            }
            var readerOf = new Dictionary<string, SafetensorsReader>(StringComparer.Ordinal);
            foreach (var (name, shard) in index.WeightMap)
            {
                var reader = byShard[shard];
                if (!reader.Contains(name))
                    throw CheckpointException.ForTensor(index.FilePath, name, $"is mapped to {shard}, which does not hold it");
                readerOf[name] = reader;
            }
            foreach (var reader in readers)
            foreach (var entry in reader.Header.Tensors)
                if (!readerOf.TryGetValue(entry.Name, out var owner) || owner != reader)
                    throw CheckpointException.ForTensor(
                        reader.FilePath,
                        entry.Name,
                        $"is in this shard but {ShardIndex.FileName} does not map it here"
                    );
            return new SafetensorsCheckpoint(folder, readers, readerOf) { _sharded = true };
        }
        catch
        {
            foreach (var reader in readers)
                reader.Dispose();
            throw;
        }
    }

    /// <summary>True when the checkpoint holds tensor <paramref name="name"/>.</summary>
    public bool Contains(string name) => _readerOf.ContainsKey(name);

    /// <summary>The file holding tensor <paramref name="name"/> and its header entry.</summary>
    /// <exception cref="CheckpointException">No such tensor.</exception>
    public (SafetensorsReader Reader, SafetensorsEntry Entry) Find(string name) =>
        _readerOf.TryGetValue(name, out var reader)
            ? (reader, reader.Entry(name))
            : throw CheckpointException.ForTensor(DescribedBy, name, "is missing from the checkpoint");

    /// <summary>Reads tensor <paramref name="name"/> in its stored dtype; the caller owns it.</summary>
    internal Tensor ReadTensor(string name) => Find(name).Reader.ReadTensor(name);

    /// <summary>Closes every file.</summary>
    public void Dispose()
    {
        foreach (var reader in _readers)
            reader.Dispose();
    }
}

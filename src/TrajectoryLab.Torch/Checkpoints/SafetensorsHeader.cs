// Parses and validates a safetensors JSON header against the size of the data region it describes.
// Strict like the reference implementation: known dtypes, byte length = numel x dtype size, offsets sorted,
// contiguous, non-overlapping and covering the data region exactly. Reference: https://github.com/huggingface/safetensors
using System.Globalization;
using System.Text.Json;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>The validated contents of a safetensors header.</summary>
/// <param name="Tensors">The tensors, in the order of their data offsets.</param>
/// <param name="Metadata">The optional <c>__metadata__</c> string map (empty when absent).</param>
public sealed record SafetensorsHeader(IReadOnlyList<SafetensorsEntry> Tensors, IReadOnlyDictionary<string, string> Metadata)
{
    /// <summary>Largest header accepted, in bytes (the reference implementation's limit).</summary>
    public const long MaxHeaderBytes = 100_000_000;

    /// <summary>The key under which a header keeps its free-form string metadata.</summary>
    public const string MetadataKey = "__metadata__";

    /// <summary>Parses <paramref name="json"/> and checks every entry against a data region of <paramref name="dataLength"/>
    /// bytes.</summary>
    /// <exception cref="CheckpointException">The header is malformed; the message names <paramref name="filePath"/> and the
    /// tensor.</exception>
    /// <param name="filePath">The file, for messages.</param>
    /// <param name="json">The header bytes.</param>
    /// <param name="dataLength">Bytes of the data region that follows the header.</param>
    /// <param name="checkLayout">Check that the tensors tile the data region exactly (true for every read; false only to
    /// list the names of a file whose layout is broken, so that a missing entry can be named).</param>
    public static SafetensorsHeader Parse(string filePath, ReadOnlyMemory<byte> json, long dataLength, bool checkLayout = true)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new CheckpointException(filePath, null, $"header is not valid JSON ({e.Message})", e);
        }

        using (document)
        {
            if (document.RootElement.ValueKind != JsonValueKind.Object)
                throw new CheckpointException(filePath, null, "header is not a JSON object");

            var tensors = new List<SafetensorsEntry>();
            var metadata = new Dictionary<string, string>(StringComparer.Ordinal);
            var seen = new HashSet<string>(StringComparer.Ordinal);
            foreach (var property in document.RootElement.EnumerateObject())
            {
                if (!seen.Add(property.Name))
                    throw CheckpointException.ForTensor(filePath, property.Name, "is listed twice in the header");
                if (property.Name == MetadataKey)
                    ReadMetadata(filePath, property.Value, metadata);
                else
                    tensors.Add(ReadEntry(filePath, property.Name, property.Value));
            }

            tensors.Sort((a, b) => a.Begin != b.Begin ? a.Begin.CompareTo(b.Begin) : a.End.CompareTo(b.End));
            if (checkLayout)
                CheckLayout(filePath, tensors, dataLength);
            return new SafetensorsHeader(tensors, metadata);
        }
    }

    private static void ReadMetadata(string filePath, JsonElement value, Dictionary<string, string> metadata)
    {
        if (value.ValueKind != JsonValueKind.Object)
            throw CheckpointException.ForKey(filePath, MetadataKey, "must be an object of strings");
        foreach (var item in value.EnumerateObject())
        {
            if (item.Value.ValueKind != JsonValueKind.String)
                throw CheckpointException.ForKey(filePath, $"{MetadataKey}.{item.Name}", "must be a string");
            metadata[item.Name] = item.Value.GetString()!;
        }
    }

    private static SafetensorsEntry ReadEntry(string filePath, string name, JsonElement value)
    {
        CheckpointException Bad(string detail) => CheckpointException.ForTensor(filePath, name, detail);

        if (value.ValueKind != JsonValueKind.Object)
            throw Bad("entry is not an object with dtype, shape and data_offsets");
        if (!value.TryGetProperty("dtype", out var dtypeElement) || dtypeElement.ValueKind != JsonValueKind.String)
            throw Bad("has no string 'dtype'");
        var dtypeName = dtypeElement.GetString()!;
        if (!SafetensorsDTypes.TryParse(dtypeName, out var dtype))
            throw Bad($"unsupported dtype '{dtypeName}' (supported: {SafetensorsDTypes.SupportedNames})");

        if (!value.TryGetProperty("shape", out var shapeElement) || shapeElement.ValueKind != JsonValueKind.Array)
            throw Bad("has no array 'shape'");
        var shape = new long[shapeElement.GetArrayLength()];
        var i = 0;
        foreach (var d in shapeElement.EnumerateArray())
        {
            if (d.ValueKind != JsonValueKind.Number || !d.TryGetInt64(out var size) || size < 0)
                throw Bad($"shape entry {i} is not a non-negative integer");
            shape[i++] = size;
        }

        if (
            !value.TryGetProperty("data_offsets", out var offsets)
            || offsets.ValueKind != JsonValueKind.Array
            || offsets.GetArrayLength() != 2
        )
            throw Bad("has no 'data_offsets' pair [begin, end]");
        if (!offsets[0].TryGetInt64(out var begin) || !offsets[1].TryGetInt64(out var end) || begin < 0 || end < begin)
            throw Bad("data_offsets must be integers with 0 <= begin <= end");

        long expected;
        try
        {
            expected = checked(shape.Aggregate(1L, (n, s) => checked(n * s)) * dtype.Size());
        }
        catch (OverflowException)
        {
            throw Bad("shape overflows a 64-bit byte count");
        }
        if (expected != end - begin)
            throw Bad(
                string.Create(CultureInfo.InvariantCulture, $"data_offsets [{begin}, {end}] span {end - begin} bytes ")
                    + string.Create(
                        CultureInfo.InvariantCulture,
                        $"but shape {SafetensorsEntry.FormatShape(shape)} of {dtypeName} needs {expected}"
                    )
            );

        if (value.EnumerateObject().Any(p => p.Name is not ("dtype" or "shape" or "data_offsets")))
            throw Bad("entry has keys other than dtype, shape and data_offsets");
        return new SafetensorsEntry(name, dtype, shape, begin, end);
    }

    private static void CheckLayout(string filePath, List<SafetensorsEntry> sorted, long dataLength)
    {
        long position = 0;
        SafetensorsEntry? previous = null;
        foreach (var entry in sorted)
        {
            if (entry.End > dataLength)
                throw new CheckpointException(
                    filePath,
                    $"tensor '{entry.Name}'",
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"data_offsets [{entry.Begin}, {entry.End}] run past the end of the data region ({dataLength} bytes): "
                    ) + "the file is truncated or the header is wrong"
                )
                {
                    IsLayoutError = true,
                };
            if (entry.Begin < position)
                throw new CheckpointException(
                    filePath,
                    $"tensor '{entry.Name}'",
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"data_offsets [{entry.Begin}, {entry.End}] overlap tensor '{previous!.Name}' [{previous.Begin}, {previous.End}]"
                    )
                )
                {
                    IsLayoutError = true,
                };
            if (entry.Begin > position)
            {
                var neighbours = previous is null ? "before the first" : $"between '{previous.Name}' and";
                throw new CheckpointException(
                    filePath,
                    null,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"bytes [{position}, {entry.Begin}) of the data region belong to no tensor ({neighbours} '{entry.Name}'): "
                    ) + "a header entry is missing, or its data_offsets are wrong"
                )
                {
                    IsLayoutError = true,
                };
            }
            position = entry.End;
            previous = entry;
        }
        if (position != dataLength)
            throw new CheckpointException(
                filePath,
                previous is null ? null : $"tensor '{previous.Name}'",
                string.Create(CultureInfo.InvariantCulture, $"the tensors cover {position} bytes but the data region holds {dataLength}: ")
                    + "a header entry is missing, or the file has trailing bytes"
            )
            {
                IsLayoutError = true,
            };
    }
}

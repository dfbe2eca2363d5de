// A merged sweep table as a safetensors file of 1-D columns, readable with Python's `safetensors.numpy.load_file` or
// scripts/sweeps/read_merged.py: numeric columns are F64, integer columns I64, text columns I32 codes into the labels
// kept (as a JSON list) under the column's name in "__metadata__". Written by Torch's SafetensorsWriter, the project's
// one safetensors writer. Format: https://github.com/huggingface/safetensors#format.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using System.Text;
using System.Text.Json;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Cli.Sweeps;

/// <summary>A column of a merged table: F64 numbers, I64 integers, or text (stored as I32 codes + labels).</summary>
/// <param name="Name">The column (tensor) name.</param>
/// <param name="Numbers">F64 values, or null.</param>
/// <param name="Integers">I64 values, or null.</param>
/// <param name="Text">Text values, or null.</param>
public sealed record Column(string Name, double[]? Numbers = null, long[]? Integers = null, string[]? Text = null);

/// <summary>Writes <see cref="Column"/>s as safetensors.</summary>
public static class SafetensorsColumns
{
    /// <summary>Writes <paramref name="columns"/> (equal lengths) to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The .safetensors file.</param>
    /// <param name="columns">The columns, in order.</param>
    public static void Write(string path, IReadOnlyList<Column> columns)
    {
        var writer = new SafetensorsWriter();
        foreach (var c in columns)
        {
            if (c.Numbers is { } numbers)
                writer.Add(c.Name, numbers, numbers.Length);
            else if (c.Integers is { } integers)
                writer.Add(c.Name, SafetensorsDType.I64, [integers.Length], MemoryMarshal.AsBytes(integers.AsSpan()).ToArray());
            else
            {
                var text = c.Text!;
                var labels = text.Distinct().ToArray(); // first-appearance order
                var lookup = labels.Select((l, k) => (l, k)).ToDictionary(x => x.l, x => x.k);
                var codes = text.Select(t => lookup[t]).ToArray();
                writer.Add(c.Name, SafetensorsDType.I32, [codes.Length], MemoryMarshal.AsBytes(codes.AsSpan()).ToArray());
                writer.AddMetadata(c.Name, JsonSerializer.Serialize(labels));
            }
        }
        writer.Save(path);
    }

    /// <summary>Reads the header of a safetensors file (for checks): the JSON document after the 8-byte length.</summary>
    /// <param name="path">The file.</param>
    public static (JsonDocument Header, long DataStart) ReadHeader(string path)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        return (JsonDocument.Parse(Encoding.UTF8.GetString(bytes, 8, (int)length)), 8 + length);
    }
}

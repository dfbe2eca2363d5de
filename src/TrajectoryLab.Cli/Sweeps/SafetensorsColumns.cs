// Writes a table as a safetensors file of 1-D columns, readable with Python `safetensors.numpy.load_file`.
// Layout (https://github.com/huggingface/safetensors#format): 8 bytes little-endian u64 N = header length; N bytes of
// UTF-8 JSON, padded with spaces to a multiple of 8: { name: {"dtype", "shape": [rows], "data_offsets": [begin, end]}, ...,
// "__metadata__": { name: JSON list of labels } }; then the data, little-endian, columns back to back in header order.
// Numeric columns are F64, integer columns I64, text columns I32 codes into the labels kept in "__metadata__".
using System.Buffers.Binary;
using System.Text;
using System.Text.Json;
using TrajectoryLab.Core.IO;

namespace TrajectoryLab.Cli.Sweeps;

/// <summary>A column of a merged table: F64 numbers, I64 integers, or text (stored as I32 codes + labels).</summary>
/// <param name="Name">The column (tensor) name.</param>
/// <param name="Numbers">F64 values, or null.</param>
/// <param name="Integers">I64 values, or null.</param>
/// <param name="Text">Text values, or null.</param>
public sealed record Column(string Name, double[]? Numbers = null, long[]? Integers = null, string[]? Text = null);

/// <summary>The safetensors writer for <see cref="Column"/>s.</summary>
public static class SafetensorsColumns
{
    /// <summary>Writes <paramref name="columns"/> (equal lengths) to <paramref name="path"/> atomically.</summary>
    /// <param name="path">The .safetensors file.</param>
    /// <param name="columns">The columns, in order.</param>
    public static void Write(string path, IReadOnlyList<Column> columns)
    {
        var header = new MemoryStream();
        var metadata = new Dictionary<string, string>();
        var codes = new Dictionary<string, int[]>();
        using (var w = new Utf8JsonWriter(header))
        {
            w.WriteStartObject();
            long offset = 0;
            foreach (var c in columns)
            {
                var (dtype, rows, width) = c.Numbers is { } n ? ("F64", n.Length, 8) : c.Integers is { } i ? ("I64", i.Length, 8) : ("I32", c.Text!.Length, 4);
                if (c.Text is { } text)
                {
                    var labels = text.Distinct().ToArray(); // first-appearance order
                    var lookup = labels.Select((l, k) => (l, k)).ToDictionary(x => x.l, x => x.k);
                    codes[c.Name] = text.Select(t => lookup[t]).ToArray();
                    metadata[c.Name] = JsonSerializer.Serialize(labels);
                }
                w.WriteStartObject(c.Name);
                w.WriteString("dtype", dtype);
                w.WriteStartArray("shape"); w.WriteNumberValue(rows); w.WriteEndArray();
                w.WriteStartArray("data_offsets"); w.WriteNumberValue(offset); w.WriteNumberValue(offset + (long)rows * width); w.WriteEndArray();
                w.WriteEndObject();
                offset += (long)rows * width;
            }
            w.WriteStartObject("__metadata__");
            foreach (var (k, v) in metadata) w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteEndObject();
        }
        var headerBytes = header.ToArray();
        var padded = (headerBytes.Length + 7) / 8 * 8;
        AtomicFile.Write(path, stream =>
        {
            var buffer = new byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(buffer, (ulong)padded);
            stream.Write(buffer);
            stream.Write(headerBytes);
            for (int p = headerBytes.Length; p < padded; p++) stream.WriteByte((byte)' ');
            foreach (var c in columns)
            {
                if (c.Numbers is { } n) foreach (var v in n) { BinaryPrimitives.WriteDoubleLittleEndian(buffer, v); stream.Write(buffer, 0, 8); }
                else if (c.Integers is { } i) foreach (var v in i) { BinaryPrimitives.WriteInt64LittleEndian(buffer, v); stream.Write(buffer, 0, 8); }
                else foreach (var v in codes[c.Name]) { BinaryPrimitives.WriteInt32LittleEndian(buffer, v); stream.Write(buffer, 0, 4); }
            }
        });
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

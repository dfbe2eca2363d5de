// Writes a safetensors file atomically: a JSON header (padded with spaces to a multiple of 8 bytes, as the
// reference writer does), then each tensor's raw little-endian bytes streamed in order, with no whole-file buffer.
// Reference: https://github.com/huggingface/safetensors
using System.Buffers.Binary;
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using TrajectoryLab.Core.IO;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>Collects named tensors and writes them as one safetensors file.</summary>
/// <remarks>Tensors are written in the order added. Sources are read only when <see cref="Save"/> runs,
/// so arrays and tensors handed in must stay alive and unchanged until then.</remarks>
public sealed class SafetensorsWriter
{
    private readonly List<(SafetensorsEntry Entry, Action<Stream> Write)> _tensors = [];
    private readonly HashSet<string> _names = new(StringComparer.Ordinal);
    private readonly SortedDictionary<string, string> _metadata = new(StringComparer.Ordinal);
    private long _end;

    /// <summary>Adds a <c>__metadata__</c> string entry.</summary>
    public SafetensorsWriter AddMetadata(string key, string value)
    {
        _metadata[key] = value;
        return this;
    }

    /// <summary>Adds raw little-endian bytes of <paramref name="dtype"/> with <paramref name="shape"/>.</summary>
    public SafetensorsWriter Add(string name, SafetensorsDType dtype, long[] shape, ReadOnlyMemory<byte> data)
    {
        AddEntry(name, dtype, shape, data.Length, s => s.Write(data.Span));
        return this;
    }

    /// <summary>Adds an F32 tensor of <paramref name="shape"/> from <paramref name="values"/> (row-major).</summary>
    public SafetensorsWriter Add(string name, float[] values, params long[] shape)
    {
        AddEntry(name, SafetensorsDType.F32, shape, (long)values.Length * sizeof(float), s =>
            s.Write(MemoryMarshal.AsBytes(values.AsSpan()))
        );
        return this;
    }

    /// <summary>Adds an F64 tensor of <paramref name="shape"/> from <paramref name="values"/> (row-major).</summary>
    public SafetensorsWriter Add(string name, double[] values, params long[] shape)
    {
        AddEntry(name, SafetensorsDType.F64, shape, (long)values.Length * sizeof(double), s =>
            s.Write(MemoryMarshal.AsBytes(values.AsSpan()))
        );
        return this;
    }

    /// <summary>Adds a tensor in its own dtype and shape; its bytes are copied out when <see cref="Save"/> runs.</summary>
    internal SafetensorsWriter Add(string name, Tensor tensor)
    {
        var dtype = tensor.dtype.ToSafetensors();
        AddEntry(name, dtype, tensor.shape, tensor.numel() * dtype.Size(), s =>
        {
            using var scope = NewDisposeScope();
            var contiguous = tensor.cpu().contiguous(); // [tensor.shape]
            TensorBytes.Visit(contiguous, (chunk, _) => s.Write(chunk));
        });
        return this;
    }

    /// <summary>Writes the file to <paramref name="path"/> atomically (temporary file, then rename).</summary>
    public void Save(string path) => AtomicFile.Write(path, stream =>
        {
            var header = HeaderBytes();
            Span<byte> length = stackalloc byte[8];
            BinaryPrimitives.WriteUInt64LittleEndian(length, (ulong)header.Length);
            stream.Write(length);
            stream.Write(header);
            foreach (var (entry, write) in _tensors)
            {
                var before = stream.Position;
                write(stream);
                if (stream.Position - before != entry.ByteLength)
                    throw new InvalidOperationException(
                        string.Create(
                            CultureInfo.InvariantCulture,
                            $"{path}: tensor '{entry.Name}' wrote {stream.Position - before} bytes, its header says {entry.ByteLength}"
                        )
                    );
            }
        });

    private void AddEntry(string name, SafetensorsDType dtype, long[] shape, long byteLength, Action<Stream> write)
    {
        if (name == SafetensorsHeader.MetadataKey || !_names.Add(name))
            throw new ArgumentException($"tensor name '{name}' is reserved or already added", nameof(name));
        if (shape.Any(d => d < 0))
            throw new ArgumentException(
                $"tensor '{name}' has a negative dimension in {SafetensorsEntry.FormatShape(shape)}",
                nameof(shape)
            );
        var expected = shape.Aggregate(1L, (n, d) => checked(n * d)) * dtype.Size();
        if (expected != byteLength)
            throw new ArgumentException(
                string.Create(CultureInfo.InvariantCulture, $"tensor '{name}': shape {SafetensorsEntry.FormatShape(shape)} of {dtype} ")
                    + string.Create(CultureInfo.InvariantCulture, $"needs {expected} bytes, the data has {byteLength}"),
                nameof(shape)
            );
        _tensors.Add((new SafetensorsEntry(name, dtype, (long[])shape.Clone(), _end, _end + byteLength), write));
        _end += byteLength;
    }

    private byte[] HeaderBytes()
    {
        using var buffer = new MemoryStream();
        using (var json = new Utf8JsonWriter(buffer))
        {
            json.WriteStartObject();
            if (_metadata.Count > 0)
            {
                json.WriteStartObject(SafetensorsHeader.MetadataKey);
                foreach (var (key, value) in _metadata)
                    json.WriteString(key, value);
                json.WriteEndObject();
            }
            foreach (var (entry, _) in _tensors)
            {
                json.WriteStartObject(entry.Name);
                json.WriteString("dtype", entry.DType.HeaderName());
                json.WriteStartArray("shape");
                foreach (var d in entry.Shape)
                    json.WriteNumberValue(d);
                json.WriteEndArray();
                json.WriteStartArray("data_offsets");
                json.WriteNumberValue(entry.Begin);
                json.WriteNumberValue(entry.End);
                json.WriteEndArray();
                json.WriteEndObject();
            }
            json.WriteEndObject();
        }
        var padding = (int)((8 - buffer.Length % 8) % 8);
        for (var i = 0; i < padding; i++)
            buffer.WriteByte((byte)' ');
        return buffer.ToArray();
    }
}

// Large numeric arrays of a result go to result.safetensors instead of result.json: a double takes 8 bytes there and
// ~20 characters of JSON, and Python reads it directly (`safetensors.numpy.load_file`). In result.json such an array is
// written as {"safetensors": "array-17"}, naming its tensor; arrays below the threshold stay inline.
// Reference: https://github.com/huggingface/safetensors (format).
using System.Globalization;
using System.Runtime.InteropServices;
using System.Text.Json;
using System.Text.Json.Serialization;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Experiments;

/// <summary>The tensors of one result.safetensors being written (Sink) or read (Source).</summary>
public static class ResultArrays
{
    /// <summary>Arrays with at least this many elements are stored as tensors.</summary>
    public const int Threshold = 4096;

    /// <summary>The JSON key of a reference to a stored tensor.</summary>
    public const string Key = "safetensors";

    /// <summary>Collects arrays while a result is serialised.</summary>
    public sealed class Sink
    {
        private readonly SafetensorsWriter _writer = new();

        /// <summary>Arrays collected.</summary>
        public int Count { get; private set; }

        /// <summary>Adds <paramref name="bytes"/> as a 1-D tensor and returns its name.</summary>
        public string Add(SafetensorsDType dtype, long length, byte[] bytes)
        {
            var name = string.Create(CultureInfo.InvariantCulture, $"array-{Count++}");
            _writer.Add(name, dtype, [length], bytes);
            return name;
        }

        /// <summary>Writes the collected tensors atomically.</summary>
        public void Save(string path) => _writer.Save(path);
    }

    /// <summary>Serves stored arrays while a result is read back.</summary>
    /// <param name="reader">The open result.safetensors, or null when the result has none.</param>
    public sealed class Source(SafetensorsReader? reader) : IDisposable
    {
        /// <summary>The raw bytes of tensor <paramref name="name"/>, checked to be <paramref name="dtype"/>.</summary>
        /// <exception cref="JsonException">No such tensor, or another dtype.</exception>
        public byte[] Read(string name, SafetensorsDType dtype)
        {
            if (reader is null || !reader.Contains(name))
                throw new JsonException($"the result refers to tensor '{name}', which result.safetensors does not hold");
            var entry = reader.Entry(name);
            if (entry.DType != dtype)
                throw new JsonException($"tensor '{name}' is {entry.DType}, not {dtype}");
            var bytes = new byte[entry.ByteLength];
            reader.ReadBytes(name, bytes);
            return bytes;
        }

        /// <summary>Closes the file.</summary>
        public void Dispose() => reader?.Dispose();
    }

    /// <summary>The converters that divert large arrays of doubles, floats, ints and longs.</summary>
    public static IEnumerable<JsonConverter> Converters(Sink? sink, Source? source) =>
        [
            new ArrayConverter<double>(SafetensorsDType.F64, sink, source),
            new ArrayConverter<float>(SafetensorsDType.F32, sink, source),
            new ArrayConverter<long>(SafetensorsDType.I64, sink, source),
            new ArrayConverter<int>(SafetensorsDType.I32, sink, source),
        ];

    /// <summary>Writes T[] inline below <see cref="Threshold"/> elements, as a tensor reference above it.</summary>
    private sealed class ArrayConverter<T>(SafetensorsDType dtype, Sink? sink, Source? source) : JsonConverter<T[]>
        where T : unmanaged
    {
        public override T[]? Read(ref Utf8JsonReader reader, Type typeToConvert, JsonSerializerOptions options)
        {
            if (reader.TokenType == JsonTokenType.Null)
                return null;
            if (reader.TokenType == JsonTokenType.StartObject)
            {
                string? name = null;
                while (reader.Read() && reader.TokenType != JsonTokenType.EndObject)
                {
                    var key = reader.GetString();
                    reader.Read();
                    if (key == Key)
                        name = reader.GetString();
                }
                if (name is null || source is null)
                    throw new JsonException($"an array stored as a tensor needs its '{Key}' name and result.safetensors");
                return MemoryMarshal.Cast<byte, T>(source.Read(name, dtype)).ToArray();
            }
            if (reader.TokenType != JsonTokenType.StartArray)
                throw new JsonException($"expected an array of {typeof(T).Name}");
            var values = new List<T>();
            while (reader.Read() && reader.TokenType != JsonTokenType.EndArray)
                values.Add(JsonSerializer.Deserialize<T>(ref reader, options));
            return [.. values];
        }

        public override void Write(Utf8JsonWriter writer, T[] value, JsonSerializerOptions options)
        {
            if (sink is not null && value.Length >= Threshold)
            {
                writer.WriteStartObject();
                writer.WriteString(Key, sink.Add(dtype, value.Length, MemoryMarshal.AsBytes(value.AsSpan()).ToArray()));
                writer.WriteEndObject();
                return;
            }
            writer.WriteStartArray();
            foreach (var v in value)
                JsonSerializer.Serialize(writer, v, options); // NaN and ±∞ as named literals
            writer.WriteEndArray();
        }
    }
}

// The one JSON setting used for every file this project writes (figures, reports) and reads back.
// System.Text.Json always writes numbers invariantly; NaN/±∞ travel as "NaN"/"Infinity"/"-Infinity".
using System.Text.Json;
using System.Text.Json.Serialization;
using TrajectoryLab.Core.IO;

namespace TrajectoryLab.Reporting;

/// <summary>Shared <see cref="JsonSerializerOptions"/> and atomic save/load helpers.</summary>
public static class ReportingJson
{
    /// <summary>camelCase, indented, enums as strings, named floating-point literals allowed.</summary>
    public static JsonSerializerOptions Options { get; } =
        new(JsonSerializerDefaults.Web)
        {
            WriteIndented = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Converters = { new JsonStringEnumConverter() },
        };

    /// <summary>Serialises <paramref name="value"/> to <paramref name="path"/> atomically.</summary>
    public static void Save<T>(string path, T value) => AtomicFile.Write(path, s => JsonSerializer.Serialize(s, value, Options));

    /// <summary>Reads a <typeparamref name="T"/> from <paramref name="path"/>.</summary>
    /// <exception cref="InvalidDataException">The file is not valid JSON for <typeparamref name="T"/> (message names the file).</exception>
    public static T Load<T>(string path)
    {
        try
        {
            using var s = File.OpenRead(path);
            return JsonSerializer.Deserialize<T>(s, Options) ?? throw new InvalidDataException($"{path}: JSON null");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: {e.Message}", e);
        }
    }
}

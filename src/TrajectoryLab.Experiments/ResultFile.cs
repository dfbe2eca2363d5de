// An experiment's typed result, saved in its run folder as result.json: what `trajectorylab report <run folder>`
// renders again without measuring anything. Non-finite numbers are written as "NaN" / "Infinity" (a breakdown is a
// result), records round-trip through their constructors.
using System.Text.Json;
using System.Text.Json.Serialization;
using TrajectoryLab.Core.IO;

namespace TrajectoryLab.Experiments;

/// <summary>Reads and writes result.json.</summary>
public static class ResultFile
{
    /// <summary>The file name in a run folder.</summary>
    public const string FileName = "result.json";

    /// <summary>camelCase, enums as strings, named non-finite numbers, fields of tuples included.</summary>
    public static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        WriteIndented = false,
        IncludeFields = true,
        NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
        Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
    };

    /// <summary>Writes <paramref name="result"/> atomically to <paramref name="folder"/>/result.json.</summary>
    public static void Save(string folder, object result, Type type) =>
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), JsonSerializer.Serialize(result, type, Json));

    /// <summary>Reads the result of type <paramref name="type"/> from <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidDataException">No result.json, or one that does not read as <paramref name="type"/>.</exception>
    public static object Load(string folder, Type type)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            throw new InvalidDataException($"{path}: no saved result (the run ended before its measurement did)");
        try
        {
            return JsonSerializer.Deserialize(File.ReadAllText(path), type, Json)
                ?? throw new InvalidDataException($"{path}: empty result");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: does not read as {type.Name} ({e.Message})", e);
        }
    }
}

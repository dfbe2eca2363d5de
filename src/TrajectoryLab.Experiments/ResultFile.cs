// An experiment's typed result, saved in its run folder as result.json (and result.safetensors for its large numeric
// arrays, ResultArrays): what `trajectorylab report <run folder>` renders again without measuring anything. Non-finite
// numbers are written as "NaN" / "Infinity" (a breakdown is a result); records round-trip through their constructors.
using System.Text.Json;
using System.Text.Json.Serialization;
using TrajectoryLab.Core.IO;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Experiments;

/// <summary>Reads and writes result.json and result.safetensors.</summary>
public static class ResultFile
{
    /// <summary>The file name in a run folder.</summary>
    public const string FileName = "result.json";

    /// <summary>The file of the result's large arrays, beside <see cref="FileName"/>.</summary>
    public const string ArraysFileName = "result.safetensors";

    /// <summary>camelCase, enums as strings, named non-finite numbers, fields of tuples included; every array inline.</summary>
    public static readonly JsonSerializerOptions Json = Options(null, null);

    /// <summary>The JSON options, with arrays of <see cref="ResultArrays.Threshold"/> elements or more diverted to
    /// <paramref name="sink"/> (writing) or served from <paramref name="source"/> (reading).</summary>
    static JsonSerializerOptions Options(ResultArrays.Sink? sink, ResultArrays.Source? source)
    {
        var options = new JsonSerializerOptions(JsonSerializerDefaults.Web)
        {
            WriteIndented = false,
            IncludeFields = true,
            NumberHandling = JsonNumberHandling.AllowNamedFloatingPointLiterals,
            Converters = { new JsonStringEnumConverter(JsonNamingPolicy.CamelCase) },
        };
        if (sink is not null || source is not null)
            foreach (var converter in ResultArrays.Converters(sink, source))
                options.Converters.Add(converter);
        return options;
    }

    /// <summary>Writes <paramref name="result"/> to <paramref name="folder"/>: result.safetensors first (when it has large
    /// arrays), then result.json, each atomically.</summary>
    public static void Save(string folder, object result, Type type)
    {
        var sink = new ResultArrays.Sink();
        var json = JsonSerializer.Serialize(result, type, Options(sink, null));
        var arrays = Path.Combine(folder, ArraysFileName);
        if (sink.Count > 0)
            sink.Save(arrays);
        else if (File.Exists(arrays))
            File.Delete(arrays);
        AtomicFile.WriteAllText(Path.Combine(folder, FileName), json);
    }

    /// <summary>Reads the result of type <paramref name="type"/> from <paramref name="folder"/>.</summary>
    /// <exception cref="InvalidDataException">No result.json, one that does not read as <paramref name="type"/>, or a
    /// result.safetensors that is missing or malformed.</exception>
    public static object Load(string folder, Type type)
    {
        var path = Path.Combine(folder, FileName);
        if (!File.Exists(path))
            throw new InvalidDataException($"{path}: no saved result (the run ended before its measurement did)");
        var arrays = Path.Combine(folder, ArraysFileName);
        try
        {
            using var source = new ResultArrays.Source(File.Exists(arrays) ? SafetensorsReader.Open(arrays) : null);
            return JsonSerializer.Deserialize(File.ReadAllText(path), type, Options(null, source))
                ?? throw new InvalidDataException($"{path}: empty result");
        }
        catch (JsonException e)
        {
            throw new InvalidDataException($"{path}: does not read as {type.Name} ({e.Message})", e);
        }
        catch (CheckpointException e)
        {
            throw new InvalidDataException(e.Message, e);
        }
    }
}

// Typed access to the keys of one JSON object of a config.json, with errors that name the file and the dotted key path
// (rope_parameters.rope_theta): what every family's config reader reads through.
using System.Text.Json;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>Typed access to the keys of one JSON object, with errors naming the file and the dotted key path.</summary>
internal sealed class ConfigKeys(string filePath, JsonElement element, string prefix = "")
{
    public CheckpointException Error(string key, string detail) => CheckpointException.ForKey(filePath, prefix + key, detail);

    public ConfigKeys At(string key, JsonElement child) => new(filePath, child, prefix + key + ".");

    private JsonElement? Get(string key) => element.TryGetProperty(key, out var v) && v.ValueKind != JsonValueKind.Null ? v : null;

    public string? String(string key) =>
        Get(key) switch
        {
            null => null,
            { ValueKind: JsonValueKind.String } v => v.GetString(),
            _ => throw Error(key, "must be a string"),
        };

    public int? Int(string key) =>
        Get(key) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } v when v.TryGetInt32(out var i) => i,
            _ => throw Error(key, "must be an integer"),
        };

    public double? Double(string key) =>
        Get(key) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Number } v => v.GetDouble(),
            _ => throw Error(key, "must be a number"),
        };

    public bool? Bool(string key) =>
        Get(key) switch
        {
            null => null,
            { ValueKind: JsonValueKind.True } => true,
            { ValueKind: JsonValueKind.False } => false,
            _ => throw Error(key, "must be true or false"),
        };

    public JsonElement? Object(string key) =>
        Get(key) switch
        {
            null => null,
            { ValueKind: JsonValueKind.Object } v => v,
            _ => throw Error(key, "must be an object"),
        };

    public IReadOnlyList<int> IntList(string key) =>
        Get(key) switch
        {
            null => [],
            { ValueKind: JsonValueKind.Array } v => v.EnumerateArray()
                .Select(x => x.ValueKind == JsonValueKind.Number && x.TryGetInt32(out var i) ? i : throw Error(key, "must hold integers"))
                .ToArray(),
            _ => [Int(key)!.Value],
        };

    /// <summary>True when the object has <paramref name="key"/>, even with the value null (which can differ from a default).</summary>
    public bool Contains(string key) => element.TryGetProperty(key, out _);

    /// <summary>True when the object has <paramref name="key"/> set to null (for defaults that differ between an absent key
    /// and an explicit null, as transformers' configs do).</summary>
    public bool IsNull(string key) => element.TryGetProperty(key, out var v) && v.ValueKind == JsonValueKind.Null;

    /// <summary>The JSON kind of <paramref name="key"/>'s value, or null when absent (for keys that take a number or a
    /// word, such as Mamba's time_step_rank "auto").</summary>
    public JsonValueKind? KindOf(string key) => Get(key)?.ValueKind;

    /// <summary>True when the object has <paramref name="key"/> (null counts as absent).</summary>
    public bool Has(string key) => Get(key) is not null;

    /// <summary>A list of strings, or empty when absent.</summary>
    public IReadOnlyList<string> StringList(string key) =>
        Get(key) switch
        {
            null => [],
            { ValueKind: JsonValueKind.Array } v => v.EnumerateArray()
                .Select(x => x.ValueKind == JsonValueKind.String ? x.GetString()! : throw Error(key, "must hold strings"))
                .ToArray(),
            _ => throw Error(key, "must be a list of strings"),
        };
}

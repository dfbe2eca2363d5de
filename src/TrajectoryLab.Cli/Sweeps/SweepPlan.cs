// A sweep: a base experiment and a grid of overrides, expanded into cells with stable ids and content hashes.
// The sweep file (experiments/sweeps/*.json):
//   { "base": "<experiment name or path>", "description": "...", "overrides": { key: value },
//     "axes": [ { "key": k, "values": [...] } | { "key": k, "range": { "from", "count" | "to", "step" } }
//             | { "zip": [ axis, axis, ... ] } ],
//     "seeds": N }
// Axes cross in file order (last fastest); zipped axes advance together; "seeds": N is a last crossed axis seed = 1..N.
// Keys use the override syntax of `run --set` (nested with '.' or ':'; a JSON list replaces the list whole). Every cell's
// effective config is bound with StrictBinder at plan time; its hash is SHA-256 (first 16 hex digits) of the bound options
// serialised with ExperimentRunner.ConfigJson, object keys sorted, no whitespace — so editing the base file changes it.
using System.Globalization;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using System.Text.Json.Nodes;
using Microsoft.Extensions.Configuration;
using TrajectoryLab.Cli.Configuration;
using TrajectoryLab.Cli.Runs;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Cli.Sweeps;

/// <summary>One cell of a sweep.</summary>
/// <param name="Index">Position in the plan, 0 … n−1 (the Slurm array index).</param>
/// <param name="Id">Folder-safe id: the zero-padded index and the axis values.</param>
/// <param name="Hash">SHA-256 (16 hex digits) of the cell's canonical effective configuration.</param>
/// <param name="Values">The axis values of the cell, as override strings, in axis order (parallel to <see
/// cref="SweepPlan.AxisKeys"/>).</param>
public sealed record SweepCell(int Index, string Id, string Hash, IReadOnlyList<string> Values);

/// <summary>A parsed, validated sweep: the base experiment, the axis keys and every cell.</summary>
public sealed class SweepPlan
{
    static readonly string[] TopLevelKeys = ["base", "description", "overrides", "axes", "seeds"];

    /// <summary>The sweep file (empty when read back from plan.json without it).</summary>
    public required string File { get; init; }

    /// <summary>The sweep's name: its file name without extension.</summary>
    public required string Name { get; init; }

    /// <summary>The resolved base experiment file.</summary>
    public required string BaseFile { get; init; }

    /// <summary>The base experiment's kind.</summary>
    public required string Kind { get; init; }

    /// <summary>Overrides applied to every cell.</summary>
    public required IReadOnlyDictionary<string, string?> Overrides { get; init; }

    /// <summary>The axis keys, zipped axes expanded, in file order.</summary>
    public required IReadOnlyList<string> AxisKeys { get; init; }

    /// <summary>The cells in plan order.</summary>
    public required IReadOnlyList<SweepCell> Cells { get; init; }

    /// <summary>The overrides that make <paramref name="cell"/>: the sweep's own, then the cell's axis values.</summary>
    /// <param name="cell">A cell of this plan.</param>
    public Dictionary<string, string?> CellOverrides(SweepCell cell)
    {
        var all = new Dictionary<string, string?>(Overrides, StringComparer.OrdinalIgnoreCase);
        for (int k = 0; k < AxisKeys.Count; k++)
            all[AxisKeys[k]] = cell.Values[k];
        return all;
    }

    /// <summary>True for a key that only picks a seed (averaged over in the merged plots).</summary>
    /// <param name="key">An axis key.</param>
    public static bool IsSeedKey(string key) =>
        key.Equals("seed", StringComparison.OrdinalIgnoreCase)
        || key.EndsWith(":seed", StringComparison.OrdinalIgnoreCase)
        || key.EndsWith(".seed", StringComparison.OrdinalIgnoreCase);

    /// <summary>Reads and expands a sweep file, binding every cell's configuration strictly.</summary>
    /// <param name="file">The sweep file.</param>
    /// <param name="catalog">Resolves the base experiment by name (a path relative to the sweep file is tried first).</param>
    /// <param name="optionsTypeOf">The options type of an experiment kind, or null when the kind is unknown.</param>
    /// <exception cref="ConfigException">Anything wrong in the sweep file or in a cell's configuration; names the sweep file and the
    /// key.</exception>
    public static SweepPlan Load(string file, ExperimentCatalog catalog, Func<string, Type?> optionsTypeOf)
    {
        if (!System.IO.File.Exists(file))
            throw new ConfigException(file, "", "sweep file not found");
        JsonObject root;
        try
        {
            root =
                JsonNode.Parse(
                    System.IO.File.ReadAllText(file),
                    documentOptions: new JsonDocumentOptions { CommentHandling = JsonCommentHandling.Skip, AllowTrailingCommas = true }
                ) as JsonObject
                ?? throw new ConfigException(file, "", "a sweep file is a JSON object");
        }
        catch (JsonException e)
        {
            throw new ConfigException(file, "", "not valid JSON: " + e.Message);
        }

        foreach (var (key, _) in root)
            if (!TopLevelKeys.Contains(key, StringComparer.OrdinalIgnoreCase))
                throw new ConfigException(file, key, $"unknown sweep key; known keys: {string.Join(", ", TopLevelKeys)}");
        JsonNode? Get(string key) => root.FirstOrDefault(p => p.Key.Equals(key, StringComparison.OrdinalIgnoreCase)).Value;

        var baseName =
            Get("base") is JsonValue b && b.TryGetValue<string>(out var s) && s.Length > 0
                ? s
                : throw new ConfigException(file, "base", "missing: name or path of the base experiment");
        var besideSweep = Path.Combine(Path.GetDirectoryName(Path.GetFullPath(file))!, baseName);
        string baseFile;
        try
        {
            baseFile = System.IO.File.Exists(besideSweep) ? besideSweep : catalog.Resolve(baseName);
        }
        catch (FileNotFoundException e)
        {
            throw new ConfigException(file, "base", e.Message);
        }

        var overrides = new Dictionary<string, string?>(StringComparer.OrdinalIgnoreCase);
        if (Get("overrides") is { } o)
        {
            if (o is not JsonObject obj)
                throw new ConfigException(file, "overrides", "expected an object of key: value");
            foreach (var (key, value) in obj)
                overrides[key] = OverrideValue(value, file, "overrides:" + key);
        }

        var groups = new List<(List<string> Keys, List<string[]> Rows)>();
        if (Get("axes") is { } axes)
        {
            if (axes is not JsonArray list)
                throw new ConfigException(file, "axes", "expected a list of axes");
            for (int i = 0; i < list.Count; i++)
                groups.Add(ParseAxisGroup(list[i], file, $"axes:{i}"));
        }
        if (Get("seeds") is { } seedsNode)
        {
            if (seedsNode is not JsonValue sv || !sv.TryGetValue<int>(out var seeds) || seeds < 1)
                throw new ConfigException(file, "seeds", "expected a positive integer");
            groups.Add((["seed"], Enumerable.Range(1, seeds).Select(n => new[] { n.ToString(CultureInfo.InvariantCulture) }).ToList()));
        }
        if (groups.Count == 0)
            throw new ConfigException(file, "axes", "a sweep needs at least one axis (or \"seeds\")");
        var axisKeys = groups.SelectMany(g => g.Keys).ToList();
        var duplicate = axisKeys.GroupBy(k => k.Replace('.', ':'), StringComparer.OrdinalIgnoreCase).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ConfigException(file, duplicate.Key, "the key is on more than one axis");

        long count = groups.Aggregate(1L, (n, g) => n * g.Rows.Count);
        if (count > 10_000_000)
            throw new ConfigException(file, "axes", $"{count} cells is more than 10,000,000");

        // Kind of the base: read once from the base with the sweep overrides.
        var baseConfig = BindOrThrow(() => ExperimentConfig.Load(baseFile, overrides), file, "base");
        var kind = baseConfig.Root["kind"];
        var optionsType = (string.IsNullOrWhiteSpace(kind) ? null : optionsTypeOf(kind))
            ?? throw new ConfigException(file, "base", $"{baseFile}: unknown or missing kind '{kind}'");

        var width = Math.Max(4, (count - 1).ToString(CultureInfo.InvariantCulture).Length);
        var cells = new List<SweepCell>((int)count);
        var position = new int[groups.Count];
        for (int index = 0; index < count; index++)
        {
            var values = new string[axisKeys.Count];
            int v = 0;
            for (int g = 0; g < groups.Count; g++)
                foreach (var value in groups[g].Rows[position[g]])
                    values[v++] = value;
            var cellOverrides = new Dictionary<string, string?>(overrides, StringComparer.OrdinalIgnoreCase);
            for (int k = 0; k < axisKeys.Count; k++)
                cellOverrides[axisKeys[k]] = values[k];
            var id = CellId(index, width, axisKeys, values);
            var options = BindOrThrow(
                () =>
                {
                    // Scalar axis values layer over the base (with the sweep's overrides) read once; a list value rewrites the JSON:
                    // reload.
                    if (values.Any(v => v.TrimStart().StartsWith('[')))
                    {
                        var config = ExperimentConfig.Load(baseFile, cellOverrides);
                        if (!string.Equals(config.Root["kind"], kind, StringComparison.OrdinalIgnoreCase))
                            throw new ConfigException(file, "kind", "a sweep cannot change the experiment kind");
                        return StrictBinder.Bind(config.Root, optionsType, config.SourceOf);
                    }
                    var root = new ConfigurationBuilder()
                        .AddConfiguration(baseConfig.Root, shouldDisposeConfiguration: false)
                        .AddInMemoryCollection(axisKeys.Select((k, i) => KeyValuePair.Create(k.Replace('.', ':'), (string?)values[i])))
                        .Build();
                    if (!string.Equals(root["kind"], kind, StringComparison.OrdinalIgnoreCase))
                        throw new ConfigException(file, "kind", "a sweep cannot change the experiment kind");
                    return StrictBinder.Bind(root, optionsType, key => $"{baseFile} (overridden by the sweep)");
                },
                file,
                id
            );
            cells.Add(new SweepCell(index, id, Hash(options, optionsType), values));
            for (int g = groups.Count - 1; g >= 0; g--) // odometer: last axis fastest
            {
                if (++position[g] < groups[g].Rows.Count)
                    break;
                position[g] = 0;
            }
        }
        return new SweepPlan
        {
            File = file,
            Name = Path.GetFileNameWithoutExtension(file),
            BaseFile = baseFile,
            Kind = kind!,
            Overrides = overrides,
            AxisKeys = axisKeys,
            Cells = cells,
        };
    }

    /// <summary>Re-throws a cell's configuration error as one naming the sweep file (the base file and the cell go in the text).</summary>
    static T BindOrThrow<T>(Func<T> bind, string file, string where)
    {
        try
        {
            return bind();
        }
        catch (ConfigException e) when (e.File != file)
        {
            throw new ConfigException(file, e.Key, $"cell {where}: {e.Message}");
        }
    }

    static (List<string> Keys, List<string[]> Rows) ParseAxisGroup(JsonNode? node, string file, string at)
    {
        if (node is not JsonObject axis)
            throw new ConfigException(file, at, "an axis is an object: {\"key\", \"values\" | \"range\"} or {\"zip\": [...]}");
        if (axis["zip"] is { } zip)
        {
            if (zip is not JsonArray members || members.Count == 0)
                throw new ConfigException(file, at + ":zip", "expected a non-empty list of axes");
            if (axis.Count > 1)
                throw new ConfigException(file, at, "a zip axis has only the key \"zip\"");
            var parsed = members.Select((m, i) => ParseAxis(m, file, $"{at}:zip:{i}")).ToList();
            var length = parsed[0].Values.Count;
            var bad = parsed.FirstOrDefault(p => p.Values.Count != length);
            if (bad.Key is not null)
                throw new ConfigException(
                    file,
                    bad.Key,
                    $"zipped axes must have equal lengths: '{parsed[0].Key}' has {length} values, '{bad.Key}' has {bad.Values.Count}"
                );
            return (
                parsed.Select(p => p.Key).ToList(),
                Enumerable.Range(0, length).Select(r => parsed.Select(p => p.Values[r]).ToArray()).ToList()
            );
        }
        var single = ParseAxis(axis, file, at);
        return ([single.Key], single.Values.Select(v => new[] { v }).ToList());
    }

    static (string Key, List<string> Values) ParseAxis(JsonNode? node, string file, string at)
    {
        if (node is not JsonObject axis)
            throw new ConfigException(file, at, "an axis is an object with \"key\" and \"values\" or \"range\"");
        foreach (var (k, _) in axis)
            if (k is not ("key" or "values" or "range"))
                throw new ConfigException(file, $"{at}:{k}", "unknown axis key; known: key, values, range (or zip)");
        var key =
            axis["key"] is JsonValue kv && kv.TryGetValue<string>(out var s) && s.Length > 0
                ? s
                : throw new ConfigException(file, at + ":key", "missing: the configuration key this axis sets");
        List<string> values;
        if (axis["values"] is { } vs)
        {
            if (axis["range"] is not null)
                throw new ConfigException(file, key, "give either \"values\" or \"range\", not both");
            if (vs is not JsonArray list)
                throw new ConfigException(file, key, "\"values\" must be a list");
            values = list.Select(v => OverrideValue(v, file, key)!).ToList();
        }
        else if (axis["range"] is JsonObject range)
            values = Range(range, file, key);
        else
            throw new ConfigException(file, key, "an axis needs \"values\" or \"range\"");
        if (values.Count == 0)
            throw new ConfigException(file, key, "empty axis");
        return (key, values);
    }

    /// <summary>{from, count[, step = 1]} or {from, to[, step = 1]} (to inclusive), in decimal so 0.1 steps stay exact.</summary>
    static List<string> Range(JsonObject range, string file, string key)
    {
        decimal? Num(string name)
        {
            var n = range.FirstOrDefault(p => p.Key.Equals(name, StringComparison.OrdinalIgnoreCase)).Value;
            if (n is null)
                return null;
            return n is JsonValue v && v.TryGetValue<decimal>(out var d)
                ? d
                : throw new ConfigException(file, $"{key}:range:{name}", "expected a number");
        }
        foreach (var (k, _) in range)
            if (k is not ("from" or "to" or "count" or "step"))
                throw new ConfigException(file, $"{key}:range:{k}", "unknown range key; known: from, to, count, step");
        var from = Num("from") ?? throw new ConfigException(file, key + ":range:from", "missing");
        var step = Num("step") ?? 1m;
        if (step == 0)
            throw new ConfigException(file, key + ":range:step", "must not be 0");
        var to = Num("to");
        var count = Num("count");
        if (to is null == count is null)
            throw new ConfigException(file, key + ":range", "give exactly one of \"count\" and \"to\"");
        long n = count is { } c
            ? (
                c == Math.Floor(c) && c >= 0
                    ? (long)c
                    : throw new ConfigException(file, key + ":range:count", "expected a whole number ≥ 0")
            )
            : (long)Math.Floor((to!.Value - from) / step) + 1;
        if (n > 10_000_000)
            throw new ConfigException(file, key + ":range", $"{n} values is too many");
        return Enumerable.Range(0, (int)Math.Max(0, n)).Select(i => Format(from + i * step)).ToList();
    }

    /// <summary>Invariant decimal text without trailing zeros (0.70 → "0.7", 2.0 → "2").</summary>
    static string Format(decimal value)
    {
        var text = value.ToString(CultureInfo.InvariantCulture);
        return text.Contains('.') ? text.TrimEnd('0').TrimEnd('.') : text;
    }

    /// <summary>A JSON value as an override string: text as is, numbers and booleans as written, a list as JSON (replaces the
    /// list).</summary>
    static string? OverrideValue(JsonNode? value, string file, string key) =>
        value switch
        {
            null => throw new ConfigException(file, key, "null is not a value"),
            JsonArray a => a.ToJsonString(),
            JsonObject => throw new ConfigException(file, key, "an object is not a value; set its keys one by one (\"a.b\")"),
            JsonValue v when v.GetValueKind() == JsonValueKind.String => v.GetValue<string>(),
            JsonValue v when v.GetValueKind() is JsonValueKind.True or JsonValueKind.False => v.GetValueKind() == JsonValueKind.True
                ? "true"
                : "false",
            _ => value.ToJsonString(),
        };

    /// <summary>"0007-temperature_0.7-seed_2": the padded index, then key_value per axis, folder-safe, at most ~120 characters.</summary>
    static string CellId(int index, int width, IReadOnlyList<string> keys, IReadOnlyList<string> values)
    {
        var text = new StringBuilder(index.ToString(CultureInfo.InvariantCulture).PadLeft(width, '0'));
        for (int k = 0; k < keys.Count && text.Length < 120; k++)
        {
            var leaf = keys[k].Split(':', '.')[^1];
            text.Append('-');
            foreach (var ch in $"{leaf}_{values[k]}")
                text.Append(char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' || (ch == '-' && text[^1] == '_') ? ch : '_');
        }
        return text.Length > 120 ? text.ToString(0, 120) : text.ToString();
    }

    /// <summary>SHA-256 (first 16 hex digits) of the bound options as canonical JSON: ConfigJson, keys sorted, no whitespace.</summary>
    /// <param name="options">The bound options.</param>
    /// <param name="type">Their type.</param>
    public static string Hash(object options, Type type)
    {
        var node = JsonSerializer.SerializeToNode(options, type, ExperimentRunner.ConfigJson);
        var buffer = new MemoryStream();
        using (var writer = new Utf8JsonWriter(buffer))
            WriteSorted(node, writer);
        return Convert.ToHexStringLower(SHA256.HashData(buffer.GetBuffer().AsSpan(0, (int)buffer.Length)))[..16];
    }

    static void WriteSorted(JsonNode? node, Utf8JsonWriter writer)
    {
        switch (node)
        {
            case JsonObject o:
                writer.WriteStartObject();
                foreach (var (k, v) in o.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    writer.WritePropertyName(k);
                    WriteSorted(v, writer);
                }
                writer.WriteEndObject();
                break;
            case JsonArray a:
                writer.WriteStartArray();
                foreach (var v in a)
                    WriteSorted(v, writer);
                writer.WriteEndArray();
                break;
            case null:
                writer.WriteNullValue();
                break;
            default:
                node.WriteTo(writer);
                break;
        }
    }
}

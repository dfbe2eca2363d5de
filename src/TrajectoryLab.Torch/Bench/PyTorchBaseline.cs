// The PyTorch-eager baseline written by scripts/gpu/hf_eager_bench.py (Hugging Face transformers' LlamaForCausalLM with
// random weights from the same config): its figures per attention implementation ("eager", "sdpa"), the versions it ran
// with, and the config keys it read, so that `bench gpu` can report ours / PyTorch and name any key where the two runs
// differ. Schema (schema = 1):
//   { "schema": 1, "versions": { "torch": ..., "transformers": ..., "cuda": ..., "gpu": ... }, "device": ..., "dtype": ...,
//     "config": { "dim": ..., "promptTokens": ..., ... },
//     "figures": { "eager": { "decode_tokens_per_second": { "1": x, "64": y }, "generate_tokens_per_second": { ... },
//                             "prefill_tokens_per_second": z }, "sdpa": { ... } } }
using System.Globalization;
using System.Text.Json;

namespace TrajectoryLab.Torch.Bench;

/// <summary>One attention implementation's figures in the baseline.</summary>
/// <param name="Decode">Aggregate decode tokens/s of the manual greedy loop (one forward per token), by batch.</param>
/// <param name="Generate">Aggregate tokens/s of model.generate() (prefill included), by batch; for reference.</param>
/// <param name="PrefillTokensPerSecond">Prefill tokens/s.</param>
public sealed record PyTorchFigures(
    IReadOnlyDictionary<int, double> Decode,
    IReadOnlyDictionary<int, double> Generate,
    double PrefillTokensPerSecond
);

/// <summary>The baseline file's contents.</summary>
/// <param name="Versions">Version strings by name (torch, transformers, cuda, gpu, python).</param>
/// <param name="Device">Device it ran on.</param>
/// <param name="DType">Dtype it ran in.</param>
/// <param name="Config">The numeric config keys it used, by our experiment file's key names.</param>
/// <param name="Figures">Figures by attention implementation.</param>
public sealed record PyTorchBaseline(
    IReadOnlyDictionary<string, string> Versions,
    string Device,
    string DType,
    IReadOnlyDictionary<string, double> Config,
    IReadOnlyDictionary<string, PyTorchFigures> Figures
)
{
    /// <summary>Reads a baseline file.</summary>
    /// <param name="path">The JSON file.</param>
    /// <exception cref="FormatException">Malformed JSON or a missing / mistyped key; the message names the file and key.</exception>
    public static PyTorchBaseline Load(string path) => Parse(File.ReadAllText(path), path);

    /// <summary>Parses baseline JSON.</summary>
    /// <param name="json">The text.</param>
    /// <param name="source">Named in error messages (the file).</param>
    /// <exception cref="FormatException">Malformed JSON or a missing / mistyped key; the message names the source and key.</exception>
    public static PyTorchBaseline Parse(string json, string source)
    {
        JsonDocument document;
        try
        {
            document = JsonDocument.Parse(json);
        }
        catch (JsonException e)
        {
            throw new FormatException($"{source}: not valid JSON ({e.Message})", e);
        }
        using (document)
        {
            var root = document.RootElement;
            if (root.ValueKind != JsonValueKind.Object)
                throw Bad(source, "(root)", "must be an object");
            var schema = Number(Get(root, "schema", source), source, "schema");
            if (schema != 1)
                throw Bad(source, "schema", $"is {schema.ToString(CultureInfo.InvariantCulture)}; this reader knows schema 1");
            var versions = Get(root, "versions", source)
                .EnumerateObject()
                .ToDictionary(p => p.Name, p => p.Value.ToString(), StringComparer.Ordinal);
            var config = Object(Get(root, "config", source), source, "config")
                .EnumerateObject()
                .Where(p => p.Value.ValueKind == JsonValueKind.Number)
                .ToDictionary(p => p.Name, p => p.Value.GetDouble(), StringComparer.Ordinal);
            var figures = new Dictionary<string, PyTorchFigures>(StringComparer.Ordinal);
            foreach (var attention in Object(Get(root, "figures", source), source, "figures").EnumerateObject())
            {
                var key = $"figures.{attention.Name}";
                var f = Object(attention.Value, source, key);
                figures[attention.Name] = new PyTorchFigures(
                    ByBatch(Get(f, "decode_tokens_per_second", source, key), source, $"{key}.decode_tokens_per_second"),
                    ByBatch(Get(f, "generate_tokens_per_second", source, key), source, $"{key}.generate_tokens_per_second"),
                    Number(Get(f, "prefill_tokens_per_second", source, key), source, $"{key}.prefill_tokens_per_second")
                );
            }
            return new PyTorchBaseline(
                versions,
                String(Get(root, "device", source), source, "device"),
                String(Get(root, "dtype", source), source, "dtype"),
                config,
                figures
            );
        }
    }

    /// <summary>The keys of <paramref name="ours"/> whose value differs from the baseline's config, or that it lacks,
    /// as "key: ours vs baseline".</summary>
    /// <param name="ours">Our run's config values by key.</param>
    public IReadOnlyList<string> Mismatches(IReadOnlyDictionary<string, double> ours)
    {
        ArgumentNullException.ThrowIfNull(ours);
        return
        [
            .. ours.Where(p => !Config.TryGetValue(p.Key, out var theirs) || theirs != p.Value)
                .Select(p =>
                    string.Create(CultureInfo.InvariantCulture, $"{p.Key}: {p.Value} vs ")
                    + (Config.TryGetValue(p.Key, out var t) ? t.ToString(CultureInfo.InvariantCulture) : "absent")
                ),
        ];
    }

    private static JsonElement Get(JsonElement parent, string name, string source, string? path = null)
    {
        var key = path is null ? name : $"{path}.{name}";
        if (parent.ValueKind != JsonValueKind.Object)
            throw Bad(source, path ?? "(root)", "must be an object");
        return parent.TryGetProperty(name, out var value) ? value : throw Bad(source, key, "is missing");
    }

    private static JsonElement Object(JsonElement e, string source, string key) =>
        e.ValueKind == JsonValueKind.Object ? e : throw Bad(source, key, "must be an object");

    private static double Number(JsonElement e, string source, string key) =>
        e.ValueKind == JsonValueKind.Number ? e.GetDouble() : throw Bad(source, key, "must be a number");

    private static string String(JsonElement e, string source, string key) =>
        e.ValueKind == JsonValueKind.String ? e.GetString()! : throw Bad(source, key, "must be a string");

    private static Dictionary<int, double> ByBatch(JsonElement e, string source, string key)
    {
        var result = new Dictionary<int, double>();
        foreach (var p in Object(e, source, key).EnumerateObject())
        {
            if (!int.TryParse(p.Name, NumberStyles.None, CultureInfo.InvariantCulture, out var batch) || batch < 1)
                throw Bad(source, $"{key}.{p.Name}", "must be keyed by a batch size ≥ 1");
            result[batch] = Number(p.Value, source, $"{key}.{p.Name}");
        }
        return result;
    }

    private static FormatException Bad(string source, string key, string problem) => new($"{source}: key '{key}' {problem}");
}

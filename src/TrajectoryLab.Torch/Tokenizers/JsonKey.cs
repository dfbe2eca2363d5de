// A JSON value together with the file it came from and its key path (e.g. "model.merges[3]"), so that every
// parsing error of tokenizer.json and its companion files names the file and the key at fault.
using System.Text.Json;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>A JSON element, its file and its key path.</summary>
internal readonly record struct JsonKey(string File, string Path, JsonElement Element)
{
    /// <summary>Parses <paramref name="file"/> as a JSON object; the document stays alive as long as the returned keys are used.</summary>
    public static JsonKey ReadObject(string file)
    {
        byte[] bytes;
        try
        {
            bytes = System.IO.File.ReadAllBytes(file);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerFormatException(file, null, $"cannot read the file ({e.Message})", e);
        }
        JsonElement root;
        try
        {
            using var document = JsonDocument.Parse(bytes, new JsonDocumentOptions { AllowTrailingCommas = true });
            root = document.RootElement.Clone();
        }
        catch (JsonException e)
        {
            throw new TokenizerFormatException(file, null, $"not valid JSON ({e.Message})", e);
        }
        if (root.ValueKind != JsonValueKind.Object)
            throw new TokenizerFormatException(file, null, "the top level is not a JSON object");
        return new JsonKey(file, "", root);
    }

    /// <summary>An error about this key.</summary>
    public TokenizerFormatException Error(string detail) => new(File, Path.Length == 0 ? null : Path, detail);

    /// <summary>The member <paramref name="name"/>, or null when it is absent or JSON null.</summary>
    public JsonKey? Optional(string name)
    {
        if (Element.ValueKind != JsonValueKind.Object)
            throw Error($"expected a JSON object, found {Element.ValueKind}");
        return Element.TryGetProperty(name, out var child) && child.ValueKind != JsonValueKind.Null
            ? new JsonKey(File, Child(name), child)
            : null;
    }

    /// <summary>The member <paramref name="name"/>; an error when absent or null.</summary>
    public JsonKey Required(string name) => Optional(name) ?? throw new TokenizerFormatException(File, Child(name), "is required");

    /// <summary>The value as a string.</summary>
    public string String() =>
        Element.ValueKind == JsonValueKind.String ? Element.GetString()! : throw Error($"expected a string, found {Element.ValueKind}");

    /// <summary>The value as a 32-bit integer.</summary>
    public int Int() =>
        Element.ValueKind == JsonValueKind.Number && Element.TryGetInt32(out var value)
            ? value
            : throw Error($"expected a 32-bit integer, found {Element}");

    /// <summary>The value as a boolean.</summary>
    public bool Bool() =>
        Element.ValueKind switch
        {
            JsonValueKind.True => true,
            JsonValueKind.False => false,
            _ => throw Error($"expected true or false, found {Element.ValueKind}"),
        };

    /// <summary>The boolean member <paramref name="name"/>, or <paramref name="fallback"/> when absent or null.</summary>
    public bool Bool(string name, bool fallback) => Optional(name)?.Bool() ?? fallback;

    /// <summary>The string member <paramref name="name"/>, or null when absent or null.</summary>
    public string? OptionalString(string name) => Optional(name)?.String();

    /// <summary>The items of a JSON array.</summary>
    public IEnumerable<JsonKey> Items()
    {
        if (Element.ValueKind != JsonValueKind.Array)
            throw Error($"expected an array, found {Element.ValueKind}");
        var i = 0;
        foreach (var item in Element.EnumerateArray())
            yield return new JsonKey(File, $"{Path}[{i++}]", item);
    }

    /// <summary>The members of a JSON object.</summary>
    public IEnumerable<(string Name, JsonKey Value)> Members()
    {
        if (Element.ValueKind != JsonValueKind.Object)
            throw Error($"expected a JSON object, found {Element.ValueKind}");
        foreach (var member in Element.EnumerateObject())
            yield return (member.Name, new JsonKey(File, Child(member.Name), member.Value));
    }

    private string Child(string name) => Path.Length == 0 ? name : $"{Path}.{name}";
}

// Where BOS and EOS come from for a Hugging Face folder: generation_config.json, then config.json (bos_token_id /
// eos_token_id, an int or a list of which the first counts), then tokenizer_config.json (bos_token / eos_token, a
// string or {"content": ...}, looked up among the tokens). Each field takes the first file that sets it.
namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>Resolves the BOS and EOS ids of a model folder.</summary>
internal static class SpecialTokenIds
{
    /// <summary>The files consulted, in order of precedence.</summary>
    public static readonly string[] Files = ["generation_config.json", "config.json", "tokenizer_config.json"];

    /// <summary>BOS and EOS for the tokenizer in <paramref name="folder"/>, given its id → token table.</summary>
    /// <exception cref="TokenizerFormatException">A file sets an id out of range or names a token that does not exist.</exception>
    public static (int? Bos, int? Eos) Resolve(string folder, string?[] pieces)
    {
        int? bos = null,
            eos = null;
        foreach (var name in Files)
        {
            var path = Path.Combine(folder, name);
            if (!File.Exists(path))
                continue;
            var root = JsonKey.ReadObject(path);
            var isTokenizerConfig = name == "tokenizer_config.json";
            bos ??= isTokenizerConfig ? TokenId(root, "bos_token", pieces) : Id(root, "bos_token_id", pieces.Length);
            eos ??= isTokenizerConfig ? TokenId(root, "eos_token", pieces) : Id(root, "eos_token_id", pieces.Length);
        }
        return (bos, eos);
    }

    private static int? Id(JsonKey root, string key, int vocabularySize)
    {
        if (root.Optional(key) is not { } node)
            return null;
        if (node.Element.ValueKind == System.Text.Json.JsonValueKind.Array)
        {
            var items = node.Items().ToArray();
            if (items.Length == 0)
                return null;
            node = items[0];
        }
        var id = node.Int();
        return id >= 0 && id < vocabularySize ? id : throw node.Error($"id {id} is outside the vocabulary (size {vocabularySize})");
    }

    private static int? TokenId(JsonKey root, string key, string?[] pieces)
    {
        if (root.Optional(key) is not { } node)
            return null;
        var content = node.Element.ValueKind == System.Text.Json.JsonValueKind.Object ? node.Required("content") : node;
        var token = content.String();
        var id = Array.IndexOf(pieces, token);
        return id >= 0 ? id : throw content.Error($"token '{token}' is neither in model.vocab nor in added_tokens");
    }
}

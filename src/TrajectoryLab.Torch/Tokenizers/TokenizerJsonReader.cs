// Reads a Hugging Face tokenizer.json whose model is "BPE" (GPT-2, Llama 2/3, TinyLlama, Qwen2, Mistral style) into
// an HfTokenizerDefinition; every error names the file and the JSON key at fault.
// Format: huggingface/tokenizers (tokenizer.json serialization of models::bpe, added_tokens, normalizers,
// pre_tokenizers, decoders). Merges are read in both forms: "a b" strings and ["a", "b"] pairs.
namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>Parses tokenizer.json.</summary>
internal static class TokenizerJsonReader
{
    /// <summary>Reads <paramref name="file"/>; BOS/EOS are left null (see <see cref="SpecialTokenIds"/>).</summary>
    /// <exception cref="TokenizerFormatException">Unreadable file, invalid JSON, a missing or ill-typed key, or an unsupported
    /// feature.</exception>
    public static HfTokenizerDefinition Read(string file)
    {
        var root = JsonKey.ReadObject(file);
        var model = root.Required("model");
        var type = model.Optional("type");
        if (type is { } t && t.String() != "BPE")
            throw t.Error($"model type '{t.String()}' is not supported (only BPE)");
        if (type is null && model.Optional("merges") is null)
            throw model.Error("has no 'type' and no 'merges': not a BPE model");
        if (
            model.Optional("dropout") is { } dropout
            && (dropout.Element.ValueKind != System.Text.Json.JsonValueKind.Number || dropout.Element.GetDouble() != 0)
        )
            throw dropout.Error("BPE dropout is not supported");
        foreach (var key in new[] { "continuing_subword_prefix", "end_of_word_suffix" })
            if (model.OptionalString(key) is { Length: > 0 })
                throw model.Required(key).Error("is not supported (byte-level and SentencePiece-style BPE have none)");

        var vocabKey = model.Required("vocab");
        var vocab = new Dictionary<string, int>(StringComparer.Ordinal);
        var ids = new HashSet<int>();
        foreach (var (token, id) in vocabKey.Members())
        {
            var value = id.Int();
            if (value < 0)
                throw id.Error("negative id");
            if (!ids.Add(value))
                throw id.Error($"id {value} is given to two tokens");
            if (!vocab.TryAdd(token, value))
                throw id.Error("repeated token");
        }
        if (vocab.Count == 0)
            throw vocabKey.Error("is empty");

        var merges = new List<(string, string)>();
        var mergeIds = new List<(int, int, int)>();
        foreach (var item in model.Required("merges").Items())
        {
            var (left, right) = ReadMerge(item);
            if (!vocab.TryGetValue(left, out var l))
                throw item.Error($"'{left}' is not in model.vocab");
            if (!vocab.TryGetValue(right, out var r))
                throw item.Error($"'{right}' is not in model.vocab");
            if (!vocab.TryGetValue(left + right, out var m))
                throw item.Error($"the merged token '{left + right}' is not in model.vocab");
            merges.Add((left, right));
            mergeIds.Add((l, r, m));
        }

        int? unknownId = null;
        if (model.OptionalString("unk_token") is { } unk)
            unknownId = vocab.TryGetValue(unk, out var u) ? u : throw model.Required("unk_token").Error($"'{unk}' is not in model.vocab");

        var added = ReadAddedTokens(root.Optional("added_tokens"), vocab);
        var pieces = BuildPieces(vocab, added);
        var bpe = new BpeModel(
            vocab,
            mergeIds,
            unknownId,
            model.Bool("byte_fallback", false),
            model.Bool("fuse_unk", false),
            model.Bool("ignore_merges", false)
        );
        return new HfTokenizerDefinition(
            file,
            bpe,
            merges,
            new AddedTokens(added),
            TextNormalizer.Read(root.Optional("normalizer")),
            PreTokenizerChain.Read(root.Optional("pre_tokenizer")),
            PieceDecoder.Read(root.Optional("decoder")),
            pieces,
            null,
            null
        );
    }

    private static (string Left, string Right) ReadMerge(JsonKey item)
    {
        if (item.Element.ValueKind == System.Text.Json.JsonValueKind.Array)
        {
            var parts = item.Items().ToArray();
            if (parts.Length != 2)
                throw item.Error($"expected a pair of tokens, found {parts.Length} items");
            return (parts[0].String(), parts[1].String());
        }
        var line = item.String();
        var space = line.IndexOf(' ', StringComparison.Ordinal);
        if (space <= 0 || space == line.Length - 1 || line.IndexOf(' ', space + 1) >= 0)
            throw item.Error($"bad merges line '{line}': expected two tokens separated by one space");
        return (line[..space], line[(space + 1)..]);
    }

    private static List<AddedToken> ReadAddedTokens(JsonKey? node, Dictionary<string, int> vocab)
    {
        var added = new List<AddedToken>();
        if (node is not { } list)
            return added;
        var seen = new HashSet<string>(StringComparer.Ordinal);
        foreach (var item in list.Items())
        {
            var id = item.Required("id");
            var content = item.Required("content");
            if (content.String().Length == 0)
                throw content.Error("empty added token");
            if (!seen.Add(content.String()))
                throw content.Error($"'{content.String()}' is added twice");
            if (id.Int() < 0)
                throw id.Error("negative id");
            if (vocab.TryGetValue(content.String(), out var vocabId) && vocabId != id.Int())
                throw id.Error($"'{content.String()}' has id {vocabId} in model.vocab");
            added.Add(
                new AddedToken(
                    id.Int(),
                    content.String(),
                    item.Bool("special", false),
                    item.Bool("single_word", false),
                    item.Bool("lstrip", false),
                    item.Bool("rstrip", false)
                )
            );
        }
        return added;
    }

    private static string?[] BuildPieces(Dictionary<string, int> vocab, List<AddedToken> added)
    {
        var size = Math.Max(vocab.Values.Max(), added.Count == 0 ? -1 : added.Max(a => a.Id)) + 1;
        var pieces = new string?[size];
        foreach (var (token, id) in vocab)
            pieces[id] = token;
        foreach (var token in added)
            pieces[token.Id] = token.Content;
        return pieces;
    }
}

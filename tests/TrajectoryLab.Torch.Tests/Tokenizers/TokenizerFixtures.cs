// Tiny tokenizer files written by the tests themselves: a GPT-2-style byte-level tokenizer.json (byte ids in GPT-2's
// order, a handful of merges), a TinyLlama-style SentencePiece BPE tokenizer.json with byte fallback, a llama2.c
// tokenizer.bin, and a small synthetic corpus for the trainer. Every id used by a golden test is derived in comments.
using System.Text;
using System.Text.Json.Nodes;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Tests.Tokenizers;

internal static class TokenizerFixtures
{
    /// <summary>GPT-2 numbers bytes by listing the printable ones (! .. ~, ¡ .. ¬, ® .. ÿ) first, then the rest in order:
    /// 'h' (104) is 104 − 33 = 71, space (32) is 188 + 32 = 220 ('Ġ'), newline is 188 + 10 = 198 ('Ċ').</summary>
    public static int[] Gpt2ByteOrder()
    {
        static bool Printable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
        return [.. Enumerable.Range(0, 256).Where(Printable), .. Enumerable.Range(0, 256).Where(b => !Printable(b))];
    }

    /// <summary>Merges of the GPT-2-style fixture, rank order; the merged tokens get ids 256..262.</summary>
    public static readonly string[] Gpt2Merges =
    [
        "Ġ w",    // 256 Ġw
        "h e",    // 257 he
        "l l",    // 258 ll
        "o r",    // 259 or
        "he ll",  // 260 hell
        "Ġw or",  // 261 Ġwor
        "hell o", // 262 hello
    ];

    /// <summary>Writes the GPT-2-style tokenizer.json: 256 byte tokens in GPT-2's order, <see cref="Gpt2Merges"/>,
    /// and &lt;|endoftext|&gt; = 263. With <paramref name="llama3Style"/>: Split(GPT-2 regex) + ByteLevel(use_regex false),
    /// ignore_merges, and an extra vocabulary token "Ġworld" = 263 that no merge reaches (then &lt;|endoftext|&gt; = 264).</summary>
    public static string WriteGpt2Style(string folder, bool llama3Style = false)
    {
        var vocab = new JsonObject();
        var order = Gpt2ByteOrder();
        for (var id = 0; id < 256; id++) vocab[ByteLevelAlphabet.Char((byte)order[id]).ToString()] = id;
        var next = 256;
        foreach (var merge in Gpt2Merges) vocab[merge.Replace(" ", "", StringComparison.Ordinal)] = next++;
        if (llama3Style) vocab["Ġworld"] = next++;
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = !llama3Style };
        JsonNode preTokenizer = llama3Style
            ? new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = HfPattern.Gpt2 }, ["behavior"] = "Isolated", ["invert"] = false },
                    byteLevel),
            }
            : byteLevel;
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(AddedToken(next, "<|endoftext|>")),
            ["normalizer"] = null,
            ["pre_tokenizer"] = preTokenizer,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel" },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["ignore_merges"] = llama3Style,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. Gpt2Merges.Select(m => JsonValue.Create(m))]),
            },
        };
        return Write(folder, json);
    }

    /// <summary>Merges of the SentencePiece-style fixture in rank order, with the ids of their results.</summary>
    public static readonly (string Left, string Right, int Id)[] SentencePieceMerges =
    [
        ("▁", "h", 264), ("l", "l", 265), ("▁h", "e", 266), ("ll", "o", 267), ("▁he", "llo", 268),
        ("▁", "w", 272), ("o", "r", 273), ("▁w", "or", 274), ("l", "d", 275), ("▁wor", "ld", 276),
    ];

    /// <summary>Writes a TinyLlama-style tokenizer.json: &lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2, &lt;0x00&gt;..&lt;0xFF&gt; 3..258,
    /// ▁ 259, h 260, e 261, l 262, o 263, w 269, r 270, d 271, and the merges above; normalizer Prepend("▁") + Replace(" ", "▁"),
    /// no pre-tokenizer, byte fallback, decoder Replace("▁", " ") + ByteFallback + Fuse + Strip(" ", 1, 0).</summary>
    public static string WriteSentencePieceStyle(string folder)
    {
        var vocab = new JsonObject { ["<unk>"] = 0, ["<s>"] = 1, ["</s>"] = 2 };
        for (var b = 0; b < 256; b++) vocab[$"<0x{b:X2}>"] = 3 + b;
        foreach (var (piece, id) in new[] { ("▁", 259), ("h", 260), ("e", 261), ("l", 262), ("o", 263), ("w", 269), ("r", 270), ("d", 271) })
            vocab[piece] = id;
        foreach (var (left, right, id) in SentencePieceMerges) vocab[left + right] = id;
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray(AddedToken(0, "<unk>"), AddedToken(1, "<s>"), AddedToken(2, "</s>")),
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["normalizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Prepend", ["prepend"] = "▁" },
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "▁" }),
            },
            ["pre_tokenizer"] = null,
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "▁" }, ["content"] = " " },
                    new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" },
                    new JsonObject { ["type"] = "Strip", ["content"] = " ", ["start"] = 1, ["stop"] = 0 }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE",
                ["dropout"] = null,
                ["unk_token"] = "<unk>",
                ["fuse_unk"] = true,
                ["byte_fallback"] = true,
                ["vocab"] = vocab,
                // The newer pair form of merges (tokenizers >= 0.20).
                ["merges"] = new JsonArray([.. SentencePieceMerges.Select(m => (JsonNode)new JsonArray(m.Left, m.Right))]),
            },
        };
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"), """{"bos_token": {"content": "<s>", "lstrip": false}, "eos_token": "</s>"}""");
        return Write(folder, json);
    }

    /// <summary>The llama2.c fixture's tokens after the bytes, with scores (higher merges first):
    /// 259 " ", 260 h, 261 e, 262 l, 263 o, 264 he (−1), 265 ll (−2), 266 " he" (−3), 267 llo (−4), 268 " hello" (−5), 269 " h" (−6).</summary>
    public static readonly (string Piece, float Score)[] Llama2cTail =
    [
        (" ", -100), ("h", -101), ("e", -102), ("l", -103), ("o", -104),
        ("he", -1), ("ll", -2), (" he", -3), ("llo", -4), (" hello", -5), (" h", -6),
    ];

    /// <summary>Writes a tokenizer.bin as llama2.c's tokenizer.py exports it: &lt;unk&gt;, "\n&lt;s&gt;\n", "\n&lt;/s&gt;\n", the 256
    /// byte tokens, then <see cref="Llama2cTail"/>.</summary>
    public static string WriteLlama2c(string folder)
    {
        var tokens = new List<(string Piece, float Score)> { ("<unk>", 0), ("\n<s>\n", 0), ("\n</s>\n", 0) };
        for (var b = 0; b < 256; b++) tokens.Add(($"<0x{b:X2}>", 0));
        tokens.AddRange(Llama2cTail);
        var path = Path.Combine(folder, "tokenizer.bin");
        using var writer = new BinaryWriter(File.Create(path), Encoding.UTF8);
        var encoded = tokens.Select(t => (Bytes: Encoding.UTF8.GetBytes(t.Piece), t.Score)).ToArray();
        writer.Write(encoded.Max(t => t.Bytes.Length)); // int32 max_token_length, little-endian
        foreach (var (bytes, score) in encoded)
        {
            writer.Write(score);        // float32
            writer.Write(bytes.Length); // int32
            writer.Write(bytes);
        }
        return path;
    }

    /// <summary>A deterministic English-like corpus with some non-ASCII text, about <paramref name="words"/> words.</summary>
    public static List<string> Corpus(int words, int seed = 7)
    {
        string[] vocabulary =
        [
            "the", "of", "and", "to", "in", "a", "is", "that", "for", "it", "as", "was", "with", "be", "by", "on", "not", "he",
            "this", "are", "or", "his", "from", "at", "which", "but", "have", "an", "had", "they", "you", "were", "their", "one",
            "all", "we", "can", "her", "has", "there", "been", "if", "more", "when", "will", "would", "who", "so", "no",
            "lowest", "newer", "wider", "trajectory", "dynamical", "system", "token", "café", "naïve", "Zürich", "日本語", "😀", "42", "1961",
        ];
        var random = new Random(seed);
        var lines = new List<string>();
        var line = new StringBuilder();
        for (var i = 0; i < words; i++)
        {
            var word = vocabulary[(int)(Math.Pow(random.NextDouble(), 2.5) * vocabulary.Length)];
            line.Append(line.Length == 0 ? char.ToUpperInvariant(word[0]) + word[1..] : " " + word);
            if (random.Next(12) == 0)
            {
                line.Append(random.Next(3) == 0 ? "." : ",");
                if (random.Next(3) == 0)
                {
                    lines.Add(line.ToString());
                    line.Clear();
                }
            }
        }
        lines.Add(line.ToString());
        return lines;
    }

    private static JsonObject AddedToken(int id, string content) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
        ["normalized"] = false, ["special"] = true,
    };

    private static string Write(string folder, JsonObject json)
    {
        var path = Path.Combine(folder, HfTokenizer.FileName);
        File.WriteAllText(path, json.ToJsonString(new System.Text.Json.JsonSerializerOptions
        {
            WriteIndented = true,
            Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
        }));
        return path;
    }
}

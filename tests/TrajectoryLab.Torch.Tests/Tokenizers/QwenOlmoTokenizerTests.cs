// The tokenizer.json styles of Qwen2/Qwen3 and OLMo 2 on the GPT-2-style fixture's vocabulary (plus a merge "1 2"):
// Qwen — NFC normalizer, Split(Qwen's regex: contractions case-insensitive, one digit per piece, a letter run with
// one leading non-letter) + ByteLevel(use_regex false), ByteLevel decoder and post-processor, <|im_start|>/<|im_end|>
// added tokens; OLMo 2 (dolma2, cl100k-like) — no normalizer, Split(cl100k regex: digit runs of up to three) +
// ByteLevel(use_regex false). Both load through HfTokenizer, encode to hand-derived ids and round-trip.
using System.Text.Json.Nodes;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Tests.Tokenizers;

public sealed class QwenOlmoTokenizerTests : IDisposable
{
    /// <summary>Qwen2's pre-tokenization regex (tokenizer.json of Qwen/Qwen2.5-*, Qwen/Qwen3-*).</summary>
    private const string QwenPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    /// <summary>cl100k_base's regex as OLMo 2's tokenizer.json spells it (digit runs of one to three).</summary>
    private const string Cl100kPattern =
        @"(?i:'s|'t|'re|'ve|'m|'ll|'d)|[^\r\n\p{L}\p{N}]?\p{L}+|\p{N}{1,3}| ?[^\s\p{L}\p{N}]+[\r\n]*|\s*[\r\n]+|\s+(?!\S)|\s+";

    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>The fixture rewritten to a style: its pattern, normalizer, trim_offsets, and extra added tokens after
    /// &lt;|endoftext|&gt; (263), with the merge "1 2" → "12" = 264 (so added tokens start at 265).</summary>
    private ITextTokenizer Load(string pattern, bool nfc, params string[] extraAdded)
    {
        var path = TokenizerFixtures.WriteGpt2Style(_folder.Path);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        json["model"]!["vocab"]!["12"] = 264;
        json["model"]!["merges"]!.AsArray().Add("1 2");
        json["model"]!["dropout"] = null;
        json["model"]!["unk_token"] = null;
        json["model"]!["continuing_subword_prefix"] = "";
        json["model"]!["end_of_word_suffix"] = "";
        json["model"]!["fuse_unk"] = false;
        json["model"]!["byte_fallback"] = false;
        var added = json["added_tokens"]!.AsArray();
        added[0]!["id"] = 263;
        for (var i = 0; i < extraAdded.Length; i++)
            added.Add(new JsonObject
            {
                ["id"] = 265 + i, ["content"] = extraAdded[i], ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
                ["normalized"] = false, ["special"] = true,
            });
        var byteLevel = new JsonObject
        {
            ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = !nfc, ["use_regex"] = false,
        };
        json["normalizer"] = nfc ? new JsonObject { ["type"] = "NFC" } : null;
        json["pre_tokenizer"] = new JsonObject
        {
            ["type"] = "Sequence",
            ["pretokenizers"] = new JsonArray(
                new JsonObject
                {
                    ["type"] = "Split", ["pattern"] = new JsonObject { ["Regex"] = pattern }, ["behavior"] = "Isolated", ["invert"] = false,
                },
                byteLevel),
        };
        json["post_processor"] = byteLevel.DeepClone();
        json["decoder"] = byteLevel.DeepClone();
        File.WriteAllText(path, json.ToJsonString());
        return HfTokenizer.Load(path);
    }

    [Theory]
    // hello = 262; " world" = Ġwor 261, l 75, d 67 (as in ByteLevelBpeTests).
    [InlineData("hello world", new[] { 262, 261, 75, 67 })]
    // One digit per piece: "1 2" never merges ('1' = 49 − 33 = 16, '2' = 17, '3' = 18).
    [InlineData("123", new[] { 16, 17, 18 })]
    // The chat markers are cut out first: <|im_start|> = 265, <|im_end|> = 266; "\n" = 198.
    [InlineData("<|im_start|>hello<|im_end|>\n", new[] { 265, 262, 266, 198 })]
    // NFC: e + combining acute (U+0301) becomes é = C3 A9 → 127, 102.
    [InlineData("e\u0301", new[] { 127, 102 })]
    public void QwenStyleEncodesToHandDerivedIds(string text, int[] expected)
    {
        var tokenizer = Load(QwenPattern, nfc: true, "<|im_start|>", "<|im_end|>");
        Assert.IsType<HfBpeTokenizer>(tokenizer); // the NFC normalizer: the own BPE encodes
        Assert.Equal(expected, tokenizer.Encode(text));
        Assert.Equal(text.Normalize(System.Text.NormalizationForm.FormC), tokenizer.Decode(expected));
        Assert.Equal(267, tokenizer.VocabularySize);
    }

    [Theory]
    // Digit runs of up to three: "123" merges to 12 = 264 then 3 = 18; "12312" is "123" + "12".
    [InlineData("123", new[] { 264, 18 })]
    [InlineData("12312", new[] { 264, 18, 264 })]
    [InlineData("hello world", new[] { 262, 261, 75, 67 })]
    [InlineData("hello<|endoftext|>", new[] { 262, 263 })]
    public void OlmoStyleEncodesToHandDerivedIds(string text, int[] expected)
    {
        var tokenizer = Load(Cl100kPattern, nfc: false, "<|pad|>");
        Assert.IsType<MlByteLevelBpeTokenizer>(tokenizer); // only cuts, then bytes: the library encodes
        Assert.Equal(expected, tokenizer.Encode(text));
        Assert.Equal(text, tokenizer.Decode(expected));
    }

    [Theory]
    [InlineData(true)]
    [InlineData(false)]
    public void BothStylesRoundTripText(bool qwen)
    {
        var tokenizer = qwen ? Load(QwenPattern, nfc: true, "<|im_start|>", "<|im_end|>") : Load(Cl100kPattern, nfc: false, "<|pad|>");
        foreach (var text in new[]
        {
            "Hello, WORLD's 2024 (ok)\n\n  x", "HE'LL  say:\r\n\tyes!!", "Grüße, 東京 😀 12345", " leading and trailing  ", "",
        })
            Assert.Equal(text, tokenizer.Decode(tokenizer.Encode(text)));
    }
}

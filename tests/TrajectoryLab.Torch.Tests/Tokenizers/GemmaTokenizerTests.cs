// Gemma-style tokenizer.json (transformers' GemmaConverter): SentencePiece BPE with byte fallback, normalizer
// Replace(" ", "▁") and no Prepend (Gemma adds no dummy prefix), pre-tokenizer Split(" ", MergedWithPrevious) as newer
// files have it (or none, as older ones), decoder Replace("▁", " ") + ByteFallback + Fuse without Strip; <pad> 0,
// <eos> 1, <bos> 2, <unk> 3, turn markers as special added tokens, "\t" in place of the byte token <0x09>.
// Golden ids derived in comments; Decode(Encode(s)) == s. Also Split's MergedWithPrevious behaviour on its own.
using System.Text.Json.Nodes;
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Tests.Tokenizers;

public sealed class GemmaTokenizerTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly ITextTokenizer _tokenizer;

    /// <summary>Merges in rank order with the ids of their results.</summary>
    private static readonly (string Left, string Right, int Id)[] Merges =
    [
        ("▁", "w", 271), ("h", "e", 272), ("l", "l", 273), ("he", "ll", 274), ("hell", "o", 275),
        ("o", "r", 276), ("▁w", "or", 277), ("l", "d", 278), ("▁wor", "ld", 279), ("▁", "▁", 280),
    ];

    /// <summary>Writes the fixture: &lt;pad&gt; 0, &lt;eos&gt; 1, &lt;bos&gt; 2, &lt;unk&gt; 3, &lt;mask&gt; 4,
    /// &lt;start_of_turn&gt; 5, &lt;end_of_turn&gt; 6, bytes &lt;0x00&gt;..&lt;0xFF&gt; at 7..262 with "\t" at 16 (7 + 0x09),
    /// ▁ 263, h 264, e 265, l 266, o 267, w 268, r 269, d 270, then <see cref="Merges"/>.</summary>
    internal static void Write(string folder, bool splitPreTokenizer)
    {
        var vocab = new JsonObject();
        string[] specials = ["<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<start_of_turn>", "<end_of_turn>"];
        for (var id = 0; id < specials.Length; id++) vocab[specials[id]] = id;
        for (var b = 0; b < 256; b++) vocab[b == 9 ? "\t" : $"<0x{b:X2}>"] = 7 + b;
        string[] letters = ["▁", "h", "e", "l", "o", "w", "r", "d"];
        for (var i = 0; i < letters.Length; i++) vocab[letters[i]] = 263 + i;
        foreach (var (left, right, id) in Merges) vocab[left + right] = id;
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["added_tokens"] = new JsonArray([.. specials.Select((s, id) => (JsonNode)AddedToken(id, s))]),
            ["normalizer"] = new JsonObject
            {
                ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = " " }, ["content"] = "▁",
            },
            ["pre_tokenizer"] = splitPreTokenizer
                ? new JsonObject
                {
                    ["type"] = "Split", ["pattern"] = new JsonObject { ["String"] = " " },
                    ["behavior"] = "MergedWithPrevious", ["invert"] = false,
                }
                : null,
            ["post_processor"] = new JsonObject
            {
                ["type"] = "TemplateProcessing",
                ["single"] = new JsonArray(
                    new JsonObject { ["SpecialToken"] = new JsonObject { ["id"] = "<bos>", ["type_id"] = 0 } },
                    new JsonObject { ["Sequence"] = new JsonObject { ["id"] = "A", ["type_id"] = 0 } }),
            },
            ["decoder"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["decoders"] = new JsonArray(
                    new JsonObject { ["type"] = "Replace", ["pattern"] = new JsonObject { ["String"] = "▁" }, ["content"] = " " },
                    new JsonObject { ["type"] = "ByteFallback" },
                    new JsonObject { ["type"] = "Fuse" }),
            },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = "<unk>", ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = true, ["byte_fallback"] = true, ["ignore_merges"] = false,
                ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. Merges.Select(m => (JsonNode)JsonValue.Create($"{m.Left} {m.Right}"))]),
            },
        };
        File.WriteAllText(Path.Combine(folder, HfTokenizer.FileName), json.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            """{"add_bos_token": true, "bos_token": "<bos>", "eos_token": "<eos>", "pad_token": "<pad>", "unk_token": "<unk>"}""");
    }

    private static JsonObject AddedToken(int id, string content) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
        ["normalized"] = false, ["special"] = true,
    };

    public GemmaTokenizerTests()
    {
        Write(_folder.Path, splitPreTokenizer: true);
        _tokenizer = HfTokenizer.Load(_folder.Path);
    }

    public void Dispose() => _folder.Dispose();

    [Theory]
    // "hello▁world", one piece: ▁w (rank 0), he, ll, hell, hello, or, ▁wor, ld, ▁world → hello 275, ▁world 279.
    [InlineData("hello world", new[] { 275, 279 })]
    // No dummy prefix: a leading space stays a lone ▁ (263) before hello.
    [InlineData(" hello", new[] { 263, 275 })]
    // "hello▁▁world": ▁w outranks ▁▁, so ▁ (263) then ▁world.
    [InlineData("hello  world", new[] { 275, 263, 279 })]
    // "\t" is a vocabulary token (16); "i" is not: byte fallback to <0x69> = 7 + 0x69 = 112.
    [InlineData("\thi", new[] { 16, 264, 112 })]
    // 世 = E4 B8 96 → 7 + 0xE4 = 235, 7 + 0xB8 = 191, 7 + 0x96 = 157.
    [InlineData("hello 世", new[] { 275, 263, 235, 191, 157 })]
    // Added tokens split the text; the turn markers are special tokens.
    [InlineData("<start_of_turn>hello<end_of_turn>", new[] { 5, 275, 6 })]
    [InlineData("", new int[0])]
    public void EncodesToHandDerivedIds(string text, int[] expected)
    {
        Assert.IsType<HfBpeTokenizer>(_tokenizer);
        Assert.Equal(expected, _tokenizer.Encode(text));
    }

    [Fact]
    public void OlderFilesWithoutAPreTokenizerEncodeTheSame()
    {
        using var folder = new TempFolder();
        Write(folder.Path, splitPreTokenizer: false);
        var older = HfTokenizer.Load(folder.Path);
        foreach (var text in new[] { "hello world", " hello", "hello  world", "\thi", "hello 世" })
            Assert.Equal(_tokenizer.Encode(text), older.Encode(text));
    }

    [Fact]
    public void DecodesSpacesBytesAndSpecialTokensWithoutStrippingALeadingSpace()
    {
        Assert.Equal("hello world", _tokenizer.Decode([275, 279]));
        Assert.Equal(" hello", _tokenizer.Decode([263, 275])); // no Strip decoder: the space stays
        Assert.Equal("hello 世", _tokenizer.Decode([275, 263, 235, 191, 157]));
        Assert.Equal("<start_of_turn>hello", _tokenizer.Decode([5, 275]));
        Assert.Equal(" world", _tokenizer.TokenText(279));
        Assert.Equal((2, 1), (_tokenizer.BosId, _tokenizer.EosId));
        Assert.Equal(281, _tokenizer.VocabularySize);
    }

    // SentencePiece cannot give back its own marker "▁" (it decodes to a space); added tokens' texts are not text.
    [Property(MaxTest = 300)]
    public Property DecodeInvertsEncodeForAnyUnicodeText() =>
        Prop.ForAll(UnicodeGen.Strings("▁", "<pad>", "<eos>", "<bos>", "<unk>", "<mask>", "<start_of_turn>", "<end_of_turn>"),
            s => _tokenizer.Decode(_tokenizer.Encode(s)) == s);

    [Fact]
    public void SplitMergedWithPreviousJoinsEachMatchToThePieceBeforeIt()
    {
        var pieces = new List<string>();
        HfPattern.SplitMergedWithPrevious(" a b  c ", HfPattern.Compile(" "), pieces);
        Assert.Equal([" ", "a ", "b ", " ", "c "], pieces); // Hugging Face's SplitDelimiterBehavior::MergedWithPrevious
    }
}

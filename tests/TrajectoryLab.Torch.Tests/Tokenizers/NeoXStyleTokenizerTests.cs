// The tokenizer.json style of GPT-NeoX-20B, which Mamba's released checkpoints (state-spaces/mamba-*-hf) and Pythia use:
// byte-level BPE with an NFC normalizer, the ByteLevel pre-tokenizer without use_regex (its default, true), a ByteLevel
// post-processor and decoder, <|endoftext|> = 0 and <|padding|> = 1 before the byte tokens, and runs of spaces as plain
// (non-special, normalized) added tokens that are cut out of the text before BPE. A small file of that shape is written
// here and encoded and decoded to hand-derived ids. Reference: EleutherAI/gpt-neox-20b's tokenizer.json (its layout).
using System.Text.Json.Nodes;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Tests.Tokenizers;

public sealed class NeoXStyleTokenizerTests
{
    /// <summary>Merges in rank order; their results get ids 258 … 267.</summary>
    private static readonly string[] Merges =
    [
        "Ġ Ġ",      // 258 ĠĠ
        "h e",      // 259 he
        "l l",      // 260 ll
        "he ll",    // 261 hell
        "hell o",   // 262 hello
        "Ġ w",      // 263 Ġw
        "o r",      // 264 or
        "Ġw or",    // 265 Ġwor
        "l d",      // 266 ld
        "Ġwor ld",  // 267 Ġworld
    ];

    /// <summary>Writes the fixture: specials 0 and 1, the 256 byte tokens at 2 … 257 in GPT-2's byte order, the merges,
    /// and the space runs "  " = 268 and "   " = 269 as added tokens (special false, normalized true).</summary>
    private static void Write(string folder)
    {
        var vocab = new JsonObject { ["<|endoftext|>"] = 0, ["<|padding|>"] = 1 };
        var order = TokenizerFixtures.Gpt2ByteOrder();
        for (var i = 0; i < 256; i++) vocab[ByteLevelAlphabet.Char((byte)order[i]).ToString()] = 2 + i;
        var next = 258;
        foreach (var merge in Merges) vocab[merge.Replace(" ", "", StringComparison.Ordinal)] = next++;
        JsonObject Added(int id, string content, bool special) => new()
        {
            ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = false,
            ["normalized"] = !special, ["special"] = special,
        };
        var byteLevel = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true };
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(
                Added(0, "<|endoftext|>", true), Added(1, "<|padding|>", true), Added(268, "  ", false), Added(269, "   ", false)),
            ["normalizer"] = new JsonObject { ["type"] = "NFC" },
            ["pre_tokenizer"] = byteLevel,
            ["post_processor"] = byteLevel.DeepClone(),
            ["decoder"] = byteLevel.DeepClone(),
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["vocab"] = vocab,
                ["merges"] = new JsonArray([.. Merges.Select(m => JsonValue.Create(m))]),
            },
        };
        File.WriteAllText(Path.Combine(folder, HfTokenizer.FileName), json.ToJsonString());
        File.WriteAllText(Path.Combine(folder, "tokenizer_config.json"),
            """{"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>", "unk_token": "<|endoftext|>"}""");
    }

    [Theory]
    // "hello" merges to 262; " world" to Ġworld = 267.
    [InlineData("hello world", new[] { 262, 267 })]
    // Two spaces are an added token (268), cut out first: "world" is then w = 119 − 33 + 2 = 88, or = 264, ld = 266.
    [InlineData("hello  world", new[] { 262, 268, 88, 264, 266 })]
    // Three spaces: the longest added token at that position (269).
    [InlineData("hello   world", new[] { 262, 269, 88, 264, 266 })]
    // The special token is cut out first (0).
    [InlineData("<|endoftext|>hello", new[] { 0, 262 })]
    // é = C3 A9 → byte positions 127 and 102 in GPT-2's order, + 2: 129 and 104; c, a, f = 68, 66, 71.
    [InlineData("café", new[] { 68, 66, 71, 129, 104 })]
    // Leading space: Ġ = 188 + 32 + 2 = 222 does not merge with h.
    [InlineData(" hello", new[] { 222, 262 })]
    public void NeoXStyleFileEncodesToHandDerivedIds(string text, int[] expected)
    {
        using var folder = new TempFolder();
        Write(folder.Path);
        var tokenizer = HfTokenizer.Load(folder.Path);
        Assert.Equal(expected, tokenizer.Encode(text));
        Assert.Equal(text, tokenizer.Decode(expected));
        Assert.Equal(270, tokenizer.VocabularySize);
        Assert.Equal(0, tokenizer.BosId);
        Assert.Equal(0, tokenizer.EosId);
    }

    [Fact]
    public void TheNfcNormalizerComposesBeforeBpe()
    {
        using var folder = new TempFolder();
        Write(folder.Path);
        var tokenizer = HfTokenizer.Load(folder.Path);
        Assert.Equal(tokenizer.Encode("café"), tokenizer.Encode("cafe\u0301")); // e + combining acute = é after NFC
    }
}

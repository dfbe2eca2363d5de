// The tokenizer.json styles of the GPT-NeoX and Phi-3 families load through the existing reader and encode and decode
// as Hugging Face's tokenizers library does. GPT-NeoX / Pythia (EleutherAI's 20B tokenizer): GPT-2-style byte-level BPE
// with an NFC normalizer, ByteLevel pre-tokenizer, post-processor and decoder, <|endoftext|> and <|padding|> as special
// added tokens, and runs of spaces as plain (non-special, normalized) added tokens. Phi-3: Llama-style SentencePiece BPE
// (Prepend "▁" + Replace normalizer, byte fallback, Strip decoder) with chat markers as special added tokens that absorb
// the whitespace after them (rstrip). Each file is a small fixture of this folder's existing ones with the family's
// extra pieces written in; every expected id is derived in comments.
using System.Text.Json.Nodes;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Tests.Tokenizers;

public sealed class GptNeoXPhi3TokenizerTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    /// <summary>The GPT-2-style fixture (bytes 0..255 in GPT-2's order, merges 256..262, &lt;|endoftext|&gt; 263) in
    /// GPT-NeoX's form: normalizer NFC, ByteLevel pre-tokenizer/post-processor/decoder with trim_offsets and no use_regex
    /// key, &lt;|padding|&gt; = 264 special, and two spaces = 265 as a non-special normalized added token.</summary>
    private ITextTokenizer LoadGptNeoXStyle()
    {
        var path = TokenizerFixtures.WriteGpt2Style(_folder.Path);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        JsonObject ByteLevel() => new() { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true };
        json["normalizer"] = new JsonObject { ["type"] = "NFC" };
        json["pre_tokenizer"] = ByteLevel();
        json["post_processor"] = ByteLevel();
        json["decoder"] = ByteLevel();
        var added = json["added_tokens"]!.AsArray();
        added.Add(Added(264, "<|padding|>", special: true));
        added.Add(Added(265, "  ", special: false));
        json["model"]!["dropout"] = null;
        json["model"]!["unk_token"] = null;
        json["model"]!["continuing_subword_prefix"] = null;
        json["model"]!["end_of_word_suffix"] = null;
        json["model"]!["fuse_unk"] = false;
        File.WriteAllText(path, json.ToJsonString());
        File.WriteAllText(_folder.File("tokenizer_config.json"), """{"bos_token": "<|endoftext|>", "eos_token": "<|endoftext|>"}""");
        return HfTokenizer.Load(_folder.Path);
    }

    [Theory]
    // As GPT-2: hello = 262; Ġwor = 261, l = 108−33 = 75, d = 100−33 = 67; "!" = 0.
    [InlineData("hello world!", new[] { 262, 261, 75, 67, 0 })]
    // Two spaces are an added token (265), cut out before BPE; "world" then has no Ġ: w = 119−33 = 86, or = 259, l, d.
    [InlineData("hello  world", new[] { 262, 265, 86, 259, 75, 67 })]
    [InlineData("<|endoftext|>hello<|padding|>", new[] { 263, 262, 264 })]
    // é written precomposed: bytes C3 A9 → 127, 102.
    [InlineData("\u00e9", new[] { 127, 102 })]
    public void GptNeoXStyleEncodesAndDecodes(string text, int[] expected)
    {
        var tokenizer = LoadGptNeoXStyle();
        Assert.IsType<HfBpeTokenizer>(tokenizer); // the normalizer and the plain added token need the own encoder
        Assert.Equal(expected, tokenizer.Encode(text));
        Assert.Equal(text, tokenizer.Decode(expected));
        Assert.Equal((263, 263, 266), (tokenizer.BosId, tokenizer.EosId, tokenizer.VocabularySize));
    }

    [Fact]
    public void GptNeoXStyleNormalizesToNfcFirst()
    {
        var tokenizer = LoadGptNeoXStyle();
        Assert.Equal([127, 102], tokenizer.Encode("e\u0301")); // e + combining acute composes to é
        Assert.Equal("  ", tokenizer.TokenText(265));
    }

    /// <summary>The TinyLlama-style fixture (&lt;unk&gt; 0, &lt;s&gt; 1, &lt;/s&gt; 2, byte tokens 3..258, ▁hello = 268, ▁world = 276)
    /// with Phi-3's added tokens: &lt;|endoftext|&gt; = 277, and &lt;|assistant|&gt; = 278, &lt;|end|&gt; = 279, &lt;|user|&gt; = 280
    /// with rstrip, as Phi-3-mini's tokenizer.json has them; EOS &lt;|endoftext|&gt;.</summary>
    private ITextTokenizer LoadPhi3Style()
    {
        var path = TokenizerFixtures.WriteSentencePieceStyle(_folder.Path);
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        var added = json["added_tokens"]!.AsArray();
        added.Add(Added(277, "<|endoftext|>", special: true));
        added.Add(Added(278, "<|assistant|>", special: true, rstrip: true));
        added.Add(Added(279, "<|end|>", special: true, rstrip: true));
        added.Add(Added(280, "<|user|>", special: true, rstrip: true));
        File.WriteAllText(path, json.ToJsonString());
        File.WriteAllText(
            _folder.File("tokenizer_config.json"), """{"bos_token": "<s>", "eos_token": "<|endoftext|>", "unk_token": "<unk>"}""");
        return HfTokenizer.Load(_folder.Path);
    }

    [Theory]
    // "▁hello▁world" = 268, 276 as in the SentencePiece fixture.
    [InlineData("hello world", new[] { 268, 276 })]
    // Byte fallback: 世 = E4 B8 96 → 3 + byte.
    [InlineData("hello 世!", new[] { 268, 259, 231, 187, 153, 36 })]
    [InlineData("hello<|endoftext|>", new[] { 268, 277 })]
    public void Phi3StyleEncodesAndDecodes(string text, int[] expected)
    {
        var tokenizer = LoadPhi3Style();
        Assert.IsType<HfBpeTokenizer>(tokenizer);
        Assert.Equal(expected, tokenizer.Encode(text));
        Assert.Equal(text, tokenizer.Decode(expected));
        Assert.Equal((1, 277, 281), (tokenizer.BosId, tokenizer.EosId, tokenizer.VocabularySize));
    }

    [Fact]
    public void Phi3ChatMarkersAbsorbTheWhitespaceAfterThem()
    {
        var tokenizer = LoadPhi3Style();
        // <|user|> takes the "\n" after it; "hello" is a new segment and gets its own ▁ (268); <|end|> takes its "\n".
        int[] ids = [280, 268, 279, 278];
        Assert.Equal(ids, tokenizer.Encode("<|user|>\nhello<|end|>\n<|assistant|>"));
        Assert.Equal("<|user|> hello<|end|><|assistant|>", tokenizer.Decode(ids)); // Strip removes only the text's first space
        Assert.Equal("<|assistant|>", tokenizer.TokenText(278));
    }

    private static JsonObject Added(int id, string content, bool special, bool rstrip = false) => new()
    {
        ["id"] = id, ["content"] = content, ["single_word"] = false, ["lstrip"] = false, ["rstrip"] = rstrip,
        ["normalized"] = !special, ["special"] = special,
    };
}

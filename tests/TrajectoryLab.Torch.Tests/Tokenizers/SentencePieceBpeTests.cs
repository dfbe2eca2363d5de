// SentencePiece-style BPE from tokenizer.json (Llama 2 / TinyLlama): golden ids with byte fallback, BOS/EOS from
// tokenizer_config.json, Hugging Face's handling of text after an added token, and the Decode(Encode(s)) == s property.
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Tests.Tokenizers;

public sealed class SentencePieceBpeTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly ITextTokenizer _tokenizer;

    public SentencePieceBpeTests()
    {
        TokenizerFixtures.WriteSentencePieceStyle(_folder.Path);
        _tokenizer = HfTokenizer.Load(_folder.Path);
    }

    public void Dispose() => _folder.Dispose();

    [Theory]
    // "▁hello▁world" is one piece: ▁ h e l l o ▁ w o r l d; merges by rank: ▁h, ll, ▁he, llo, ▁hello (268), ▁w, or, ▁wor, ld, ▁world (276).
    [InlineData("hello world", new[] { 268, 276 })]
    // 世 is not in the vocabulary: its UTF-8 bytes E4 B8 96 fall back to ids 3+0xE4 = 231, 3+0xB8 = 187, 3+0x96 = 153; "!" = 3+0x21 = 36.
    [InlineData("hello 世!", new[] { 268, 259, 231, 187, 153, 36 })]
    // Two spaces: "▁▁hello" → ▁ then ▁hello.
    [InlineData(" hello", new[] { 259, 268 })]
    // After an added token the text is a new segment, so it gets its own "▁" (as in Hugging Face).
    [InlineData("<s>hello", new[] { 1, 268 })]
    [InlineData("", new int[0])]
    public void Encodes_to_hand_derived_ids(string text, int[] expected)
    {
        Assert.IsType<HfBpeTokenizer>(_tokenizer);
        Assert.Equal(expected, _tokenizer.Encode(text));
    }

    [Fact]
    public void Decodes_bytes_spaces_and_special_tokens()
    {
        Assert.Equal("hello 世!", _tokenizer.Decode([268, 259, 231, 187, 153, 36]));
        Assert.Equal("<s> hello", _tokenizer.Decode([1, 268])); // Strip only removes the very first space
        Assert.Equal(" hello", _tokenizer.TokenText(268));
        Assert.Equal("<0xE4>", _tokenizer.TokenText(231));
        Assert.Equal("!", _tokenizer.TokenText(36));
        Assert.Equal(1, _tokenizer.BosId);
        Assert.Equal(2, _tokenizer.EosId);
        Assert.Equal(277, _tokenizer.VocabularySize);
    }

    // The one thing SentencePiece cannot give back is its own marker "▁" (it decodes to a space); an added token's
    // text starts a new segment. Neither is part of the property.
    [Property(MaxTest = 300)]
    public Property Decode_inverts_encode_for_any_unicode_text() =>
        Prop.ForAll(UnicodeGen.Strings("▁", "<s>", "</s>", "<unk>"), s => _tokenizer.Decode(_tokenizer.Encode(s)) == s);
}

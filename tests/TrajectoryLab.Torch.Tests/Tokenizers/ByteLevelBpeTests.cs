// Byte-level BPE from tokenizer.json: golden ids of a hand-written GPT-2-style file, the Llama 3 variant
// (Split + ignore_merges), the byte-level alphabet against GPT-2's published characters, and the display form of tokens.
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Tests.Tokenizers;

public sealed class ByteLevelBpeTests
{
    [Fact]
    public void Alphabet_matches_gpt2_characters()
    {
        Assert.Equal('Ġ', ByteLevelAlphabet.Char(0x20));
        Assert.Equal('Ċ', ByteLevelAlphabet.Char(0x0A));
        Assert.Equal('Ā', ByteLevelAlphabet.Char(0x00));
        Assert.Equal('a', ByteLevelAlphabet.Char((byte)'a'));
        Assert.Equal('ÿ', ByteLevelAlphabet.Char(0xFF));
        Assert.Equal('Ń', ByteLevelAlphabet.Char(0xAD)); // the last of the 68 remapped bytes: U+0100 + 67
        for (var b = 0; b < 256; b++)
        {
            Assert.True(ByteLevelAlphabet.TryByte(ByteLevelAlphabet.Char((byte)b), out var back));
            Assert.Equal(b, back);
        }
    }

    [Theory]
    // "hello": h e l l o → (h,e) rank 1 → he; (l,l) rank 2 → ll; (he,ll) rank 4 → hell; (hell,o) rank 6 → hello = 262.
    // " world": Ġ w o r l d → (Ġ,w) rank 0; (o,r) rank 3; (Ġw,or) rank 5 → Ġwor = 261, then l = 108−33 = 75, d = 100−33 = 67.
    // "!" = 33−33 = 0.
    [InlineData("hello world!", new[] { 262, 261, 75, 67, 0 })]
    // The special token is cut out first (263); "\n" alone is byte 10 → 188+10 = 198.
    [InlineData("hello<|endoftext|>\n", new[] { 262, 263, 198 })]
    // Ties go left: (l,l) at 0 merges, the last l stays.
    [InlineData("lll", new[] { 258, 75 })]
    // " hello" is one piece: Ġ = 220 does not merge with h, the rest is as above.
    [InlineData(" hello", new[] { 220, 262 })]
    // H = 72−33 = 39, e = 101−33 = 68, ll = 258, o = 111−33 = 78: case matters.
    [InlineData("Hello", new[] { 39, 68, 258, 78 })]
    // é = C3 A9: bytes 0xC3 and 0xA9 are printable Latin-1, ids 0xC3−0xAE+106 = 127 and 0xA9−0xA1+94 = 102.
    [InlineData("é", new[] { 127, 102 })]
    [InlineData("", new int[0])]
    public void Gpt2_style_file_encodes_to_hand_derived_ids(string text, int[] expected)
    {
        using var folder = new TempFolder();
        TokenizerFixtures.WriteGpt2Style(folder.Path);
        var tokenizer = HfTokenizer.Load(folder.Path);

        Assert.IsType<MlByteLevelBpeTokenizer>(tokenizer); // the library does this one
        Assert.Equal(expected, tokenizer.Encode(text));
        Assert.Equal(text, tokenizer.Decode(expected));
        Assert.Equal(264, tokenizer.VocabularySize);
    }

    [Fact]
    public void Llama3_style_ignore_merges_takes_whole_vocabulary_words()
    {
        using var folder = new TempFolder();
        TokenizerFixtures.WriteGpt2Style(folder.Path, llama3Style: true);
        var tokenizer = HfTokenizer.Load(folder.Path);

        // The library has no ignore_merges, so the own BpeModel encodes. "hello" is in the vocabulary (262),
        // and so is "Ġworld" (263), which the merges alone would never build (they give Ġwor l d).
        Assert.IsType<HfBpeTokenizer>(tokenizer);
        Assert.Equal([262, 263, 0], tokenizer.Encode("hello world!"));
        Assert.Equal("hello world!", tokenizer.Decode([262, 263, 0]));
        Assert.Equal([264], tokenizer.Encode("<|endoftext|>"));
    }

    [Fact]
    public void Token_text_shows_spaces_and_escapes_partial_bytes()
    {
        using var folder = new TempFolder();
        TokenizerFixtures.WriteGpt2Style(folder.Path);
        var tokenizer = HfTokenizer.Load(folder.Path);

        Assert.Equal(" wor", tokenizer.TokenText(261));
        Assert.Equal("<0xC3>", tokenizer.TokenText(127)); // the first byte of é alone is not UTF-8
        Assert.Equal("<|endoftext|>", tokenizer.TokenText(263));
        Assert.Equal("\uFFFD", tokenizer.Decode([127]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.Decode([264]));
        Assert.Throws<ArgumentOutOfRangeException>(() => tokenizer.TokenText(-1));
    }

    [Fact]
    public void Lone_surrogates_encode_as_the_replacement_character()
    {
        using var folder = new TempFolder();
        TokenizerFixtures.WriteGpt2Style(folder.Path);
        var tokenizer = HfTokenizer.Load(folder.Path);

        Assert.Equal(tokenizer.Encode("a\uFFFDb"), tokenizer.Encode("a\uD800b"));
    }
}

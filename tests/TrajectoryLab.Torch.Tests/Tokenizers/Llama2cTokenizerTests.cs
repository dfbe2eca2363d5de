// llama2.c tokenizer.bin: run.c's encode (dummy prefix, score-ordered merges, byte fallback at ids 3..258) against ids
// derived by hand, run.c's decode (leading space dropped after BOS), and truncated or malformed files.
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Tests.Tokenizers;

public sealed class Llama2cTokenizerTests : IDisposable
{
    private readonly TempFolder _folder = new();
    private readonly string _path;

    public Llama2cTokenizerTests() => _path = TokenizerFixtures.WriteLlama2c(_folder.Path);

    public void Dispose() => _folder.Dispose();

    [Fact]
    public void Encodes_a_sentence_to_hand_derived_ids()
    {
        var tokenizer = Llama2cTokenizer.Load(_path);
        // Start: " "(259) h(260) e(261) l(262) l(262) o(263) " "(259) h(260) and 'i' → byte 0x69 → 3+0x69 = 108.
        // Best scores in turn: he (−1), ll (−2), " he" (−3), llo (−4), " hello" (−5), " h" (−6); nothing else is a token.
        Assert.Equal([268, 269, 108], tokenizer.Encode("hello hi"));
        // Equal scores: the leftmost pair (l,l) merges; " l" is no token.
        Assert.Equal([259, 265, 262], tokenizer.Encode("lll"));
        // é = C3 A9, not a token: ids 3+0xC3 = 198 and 3+0xA9 = 172 after the dummy prefix.
        Assert.Equal([259, 198, 172], tokenizer.Encode("é"));
        Assert.Empty(tokenizer.Encode(""));
    }

    [Fact]
    public void Decodes_as_run_c_does()
    {
        var tokenizer = Llama2cTokenizer.Load(_path);
        // BOS is written as its piece (tokenizer.py exports it as "\n<s>\n"); the token after it loses its leading space.
        Assert.Equal("\n<s>\nhello hi", tokenizer.Decode([Llama2cTokenizer.Bos, 268, 269, 108]));
        Assert.Equal("hello hi", tokenizer.Decode([268, 269, 108]));
        Assert.Equal("o hello hi", tokenizer.Decode([263, 268, 269, 108])); // after any other token the space stays
        Assert.Equal("é", tokenizer.Decode([259, 198, 172]));
        Assert.Equal(" hello", tokenizer.TokenText(268));
        Assert.Equal("<0xC3>", tokenizer.TokenText(198));
        Assert.Equal((1, 2, 270), (tokenizer.BosId, tokenizer.EosId, tokenizer.VocabularySize));
        Assert.Equal(-5f, tokenizer.Score(268));
        Assert.Equal(6, tokenizer.MaxTokenLength);
    }

    [Fact]
    public void Truncated_file_names_the_file_and_token()
    {
        var bytes = File.ReadAllBytes(_path);
        File.WriteAllBytes(_path, bytes[..^3]);
        var e = Assert.Throws<TokenizerFormatException>(() => Llama2cTokenizer.Load(_path));
        Assert.Contains(_path, e.Message);
        Assert.Equal("token 269", e.Key);

        File.WriteAllBytes(_path, bytes[..2]);
        e = Assert.Throws<TokenizerFormatException>(() => Llama2cTokenizer.Load(_path));
        Assert.Equal("max_token_length", e.Key);
    }

    [Fact]
    public void A_model_vocabulary_larger_than_the_file_is_an_error()
    {
        var e = Assert.Throws<TokenizerFormatException>(() => Llama2cTokenizer.Load(_path, vocabularySize: 300));
        Assert.Equal("token 270", e.Key);
        Assert.Contains("300 tokens expected", e.Message);
        Assert.Contains("bytes follow", Assert.Throws<TokenizerFormatException>(() => Llama2cTokenizer.Load(_path, vocabularySize: 260)).Message);
    }

    [Fact]
    public void Length_beyond_max_token_length_is_an_error()
    {
        var bytes = File.ReadAllBytes(_path);
        BitConverter.TryWriteBytes(bytes.AsSpan(0, 4), 2); // max_token_length 2, but "<unk>" has 5 bytes
        File.WriteAllBytes(_path, bytes);
        var e = Assert.Throws<TokenizerFormatException>(() => Llama2cTokenizer.Load(_path));
        Assert.Equal("token 0", e.Key);
        Assert.Contains("max_token_length", e.Message);
        Assert.StartsWith(_path, e.Message);
    }
}

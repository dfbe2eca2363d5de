// Loading tokenizer.json: errors that name the file and the JSON key, and BOS/EOS from the folder's config files.
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Tests.Tokenizers;

public sealed class HfTokenizerLoadTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private TokenizerFormatException LoadError(string json)
    {
        var path = _folder.File(HfTokenizer.FileName);
        File.WriteAllText(path, json);
        var e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(path));
        Assert.Equal(path, e.FilePath);
        Assert.StartsWith(path + ": ", e.Message);
        return e;
    }

    [Fact]
    public void Unknown_model_type()
    {
        var e = LoadError("""{"model": {"type": "WordPiece", "vocab": {"a": 0}}}""");
        Assert.Equal("model.type", e.Key);
        Assert.Contains("'WordPiece' is not supported", e.Message);
    }

    [Fact]
    public void Missing_vocab() =>
        Assert.Equal("model.vocab", LoadError("""{"model": {"type": "BPE", "merges": []}}""").Key);

    [Fact]
    public void Bad_merges_line()
    {
        var e = LoadError("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": ["a b", "ab"]}}""");
        Assert.Equal("model.merges[1]", e.Key);
        Assert.Contains("bad merges line 'ab'", e.Message);
    }

    [Fact]
    public void Merge_of_unknown_token() =>
        Assert.Contains("'c' is not in model.vocab",
            LoadError("""{"model": {"type": "BPE", "vocab": {"a": 0, "b": 1, "ab": 2}, "merges": [["a", "b"], ["ab", "c"]]}}""").Message);

    [Fact]
    public void Unsupported_pre_tokenizer()
    {
        var e = LoadError("""{"pre_tokenizer": {"type": "Sequence", "pretokenizers": [{"type": "Whitespace"}]}, "model": {"type": "BPE", "vocab": {"a": 0}, "merges": []}}""");
        Assert.Equal("pre_tokenizer.pretokenizers[0].type", e.Key);
    }

    [Fact]
    public void Invalid_json_and_missing_file()
    {
        Assert.Null(LoadError("{\"model\": ").Key);
        var missing = _folder.File("nowhere.json");
        Assert.Contains(missing, Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(missing)).Message);
    }

    [Fact]
    public void Bos_and_eos_come_from_generation_config_then_config_then_tokenizer_config()
    {
        TokenizerFixtures.WriteSentencePieceStyle(_folder.Path); // tokenizer_config.json: bos <s> (1), eos </s> (2)
        File.WriteAllText(_folder.File("config.json"), """{"bos_token_id": 0, "eos_token_id": null}""");
        File.WriteAllText(_folder.File("generation_config.json"), """{"eos_token_id": [259, 2]}""");

        var tokenizer = HfTokenizer.Load(_folder.File(HfTokenizer.FileName));

        Assert.Equal(0, tokenizer.BosId);   // config.json
        Assert.Equal(259, tokenizer.EosId); // generation_config.json, first of the list
    }

    [Fact]
    public void Out_of_range_eos_id_names_the_config_file_and_key()
    {
        TokenizerFixtures.WriteSentencePieceStyle(_folder.Path);
        File.WriteAllText(_folder.File("config.json"), """{"eos_token_id": 5000}""");
        var e = Assert.Throws<TokenizerFormatException>(() => HfTokenizer.Load(_folder.Path));
        Assert.Equal(_folder.File("config.json"), e.FilePath);
        Assert.Equal("eos_token_id", e.Key);
    }
}

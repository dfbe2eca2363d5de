// Other pipelines real tokenizer.json files use, on the fixtures' vocabularies: Metaspace instead of the
// Prepend/Replace normalizer (Mistral, newer Llama exports), and Digits before ByteLevel (SmolLM).
using System.Text.Json.Nodes;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Tests.Tokenizers;

public sealed class PipelineVariantTests : IDisposable
{
    private readonly TempFolder _folder = new();

    public void Dispose() => _folder.Dispose();

    private ITextTokenizer Rewrite(string path, Action<JsonObject> change)
    {
        var json = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        change(json);
        File.WriteAllText(path, json.ToJsonString());
        return HfTokenizer.Load(path);
    }

    [Fact]
    public void Metaspace_with_prepend_scheme_first()
    {
        var tokenizer = Rewrite(TokenizerFixtures.WriteSentencePieceStyle(_folder.Path), json =>
        {
            json["normalizer"] = null;
            json["pre_tokenizer"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "first", ["split"] = false };
            json["decoder"] = new JsonObject { ["type"] = "Metaspace", ["replacement"] = "▁", ["prepend_scheme"] = "first", ["split"] = false };
        });

        Assert.Equal([268, 276], tokenizer.Encode("hello world")); // as with Prepend + Replace
        Assert.Equal("hello world", tokenizer.Decode([268, 276]));
        // "first": text after an added token gets no "▁", so "hello" is h e llo (no merge makes "he" without ▁).
        Assert.Equal([1, 260, 261, 267], tokenizer.Encode("<s>hello"));
    }

    [Fact]
    public void Digits_cut_before_byte_level()
    {
        // An extra merge "1 2" → "12" (id 264): the GPT-2 regex keeps "123" whole so it applies; individual digits forbid it.
        void AddMerge(JsonObject json)
        {
            json["model"]!["vocab"]!["12"] = 264;
            json["model"]!["merges"]!.AsArray().Add("1 2");
        }
        var path = TokenizerFixtures.WriteGpt2Style(_folder.Path);
        var whole = Rewrite(path, AddMerge);
        Assert.Equal([264, 18], whole.Encode("123")); // '3' = 51 − 33 = 18

        TokenizerFixtures.WriteGpt2Style(_folder.Path);
        var digits = Rewrite(path, json =>
        {
            AddMerge(json);
            json["pre_tokenizer"] = new JsonObject
            {
                ["type"] = "Sequence",
                ["pretokenizers"] = new JsonArray(
                    new JsonObject { ["type"] = "Digits", ["individual_digits"] = true },
                    new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["use_regex"] = true }),
            };
        });
        Assert.IsType<MlByteLevelBpeTokenizer>(digits); // cutting only: the library still encodes
        Assert.Equal([16, 17, 18], digits.Encode("123"));
        Assert.Equal("x 123", digits.Decode(digits.Encode("x 123")));
    }
}

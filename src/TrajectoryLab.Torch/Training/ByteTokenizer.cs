// Byte-level tokenization: one token per UTF-8 byte (ids 0–255) plus <|endoftext|> (256), the base alphabet of
// GPT-2's byte-level BPE (Radford et al. 2019) with no merges. Its tokenizer.json is a Hugging Face ByteLevel BPE with
// an empty merge list, so the saved model folder loads in `tokenizers` and gives the same ids.
using System.Text;
using System.Text.Json.Nodes;
using TrajectoryLab.Core.IO;

namespace TrajectoryLab.Torch.Training;

/// <summary>UTF-8 bytes as tokens.</summary>
public sealed class ByteTokenizer : ITextTokenizer
{
    /// <summary>The document separator's text.</summary>
    public const string EndOfTextToken = "<|endoftext|>";

    /// <inheritdoc/>
    public int VocabSize => 257;

    /// <inheritdoc/>
    public int EndOfText => 256;

    /// <inheritdoc/>
    public int[] Encode(string text) => Encoding.UTF8.GetBytes(text).Select(b => (int)b).ToArray();

    /// <inheritdoc/>
    /// <remarks>Invalid UTF-8 (a sampled sequence may cut a character) decodes to U+FFFD.</remarks>
    public string Decode(IReadOnlyList<int> ids) => Encoding.UTF8.GetString(ids.Where(i => i is >= 0 and < 256).Select(i => (byte)i).ToArray());

    /// <inheritdoc/>
    public void Save(string folder)
    {
        var vocab = new JsonObject();
        var byteChars = ByteLevelAlphabet();
        for (var b = 0; b < 256; b++) vocab[byteChars[b].ToString()] = b;
        vocab[EndOfTextToken] = EndOfText;
        var json = new JsonObject
        {
            ["version"] = "1.0",
            ["truncation"] = null,
            ["padding"] = null,
            ["added_tokens"] = new JsonArray(new JsonObject
            {
                ["id"] = EndOfText, ["content"] = EndOfTextToken, ["single_word"] = false, ["lstrip"] = false,
                ["rstrip"] = false, ["normalized"] = false, ["special"] = true,
            }),
            ["normalizer"] = null,
            ["pre_tokenizer"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false },
            ["post_processor"] = null,
            ["decoder"] = new JsonObject { ["type"] = "ByteLevel", ["add_prefix_space"] = false, ["trim_offsets"] = true, ["use_regex"] = false },
            ["model"] = new JsonObject
            {
                ["type"] = "BPE", ["dropout"] = null, ["unk_token"] = null, ["continuing_subword_prefix"] = null,
                ["end_of_word_suffix"] = null, ["fuse_unk"] = false, ["byte_fallback"] = false, ["vocab"] = vocab, ["merges"] = new JsonArray(),
            },
        };
        AtomicFile.WriteAllText(Path.Combine(folder, "tokenizer.json"), json.ToJsonString(new() { WriteIndented = true }));
    }

    /// <summary>GPT-2's bytes_to_unicode: printable bytes map to themselves, the others to U+0100 upwards.</summary>
    internal static char[] ByteLevelAlphabet()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
        {
            var printable = b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;
            map[b] = printable ? (char)b : (char)next++;
        }

        return map;
    }
}

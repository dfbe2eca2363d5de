// The result of ByteLevelBpeTrainer, saved as a Hugging Face tokenizer folder: tokenizer.json (model "BPE", vocab,
// merges, ByteLevel pre-tokenizer/decoder, added_tokens) and tokenizer_config.json (bos_token, eos_token), which
// HfTokenizer.Load and Hugging Face's PreTrainedTokenizerFast both read. Output is byte-for-byte deterministic.
// Format: huggingface/tokenizers tokenizer.json; Radford et al. 2019 for the byte-level alphabet.
using System.Text.Encodings.Web;
using System.Text.Json;
using TrajectoryLab.Core.IO;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>A trained byte-level BPE vocabulary: ids 0..255 are the bytes, then learned tokens, then special tokens.</summary>
public sealed class TrainedBpeTokenizer
{
    private readonly IReadOnlyList<byte[]> _tokens;

    internal TrainedBpeTokenizer(
        IReadOnlyList<byte[]> tokens,
        IReadOnlyList<(int Left, int Right, int Merged)> merges,
        IReadOnlyList<string> specialTokens,
        string? bosToken,
        string? eosToken
    )
    {
        _tokens = tokens;
        Merges = merges;
        SpecialTokens = specialTokens;
        BosToken = bosToken;
        EosToken = eosToken;
    }

    /// <summary>Learned merges in order: left id, right id, merged id.</summary>
    public IReadOnlyList<(int Left, int Right, int Merged)> Merges { get; }

    /// <summary>Special tokens; the first has id <c>LearnedCount</c>.</summary>
    public IReadOnlyList<string> SpecialTokens { get; }

    /// <summary>The BOS token's text, or null.</summary>
    public string? BosToken { get; }

    /// <summary>The EOS token's text, or null.</summary>
    public string? EosToken { get; }

    /// <summary>Number of byte and learned tokens (the first special token's id).</summary>
    public int LearnedCount => _tokens.Count;

    /// <summary>Total ids, special tokens included (the target, or fewer when the corpus ran out of pairs to merge).</summary>
    public int VocabularySize => _tokens.Count + SpecialTokens.Count;

    /// <summary>The bytes of learned token <paramref name="id"/>.</summary>
    public ReadOnlySpan<byte> TokenBytes(int id) => _tokens[id];

    /// <summary>Writes tokenizer.json and tokenizer_config.json into <paramref name="folder"/> (created if needed), each
    /// atomically.</summary>
    public void Save(string folder)
    {
        AtomicFile.WriteAllBytes(Path.Combine(folder, HfTokenizer.FileName), TokenizerJson());
        AtomicFile.WriteAllBytes(Path.Combine(folder, "tokenizer_config.json"), TokenizerConfigJson());
    }

    /// <summary>The tokenizer.json bytes (UTF-8).</summary>
    public byte[] TokenizerJson() =>
        WriteJson(w =>
        {
            w.WriteString("version", "1.0");
            w.WriteNull("truncation");
            w.WriteNull("padding");
            w.WriteStartArray("added_tokens");
            for (var i = 0; i < SpecialTokens.Count; i++)
            {
                w.WriteStartObject();
                w.WriteNumber("id", LearnedCount + i);
                w.WriteString("content", SpecialTokens[i]);
                w.WriteBoolean("single_word", false);
                w.WriteBoolean("lstrip", false);
                w.WriteBoolean("rstrip", false);
                w.WriteBoolean("normalized", false);
                w.WriteBoolean("special", true);
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteNull("normalizer");
            WriteByteLevel(w, "pre_tokenizer");
            WriteByteLevel(w, "post_processor");
            WriteByteLevel(w, "decoder");
            w.WriteStartObject("model");
            w.WriteString("type", "BPE");
            w.WriteNull("dropout");
            w.WriteNull("unk_token");
            w.WriteNull("continuing_subword_prefix");
            w.WriteNull("end_of_word_suffix");
            w.WriteBoolean("fuse_unk", false);
            w.WriteBoolean("byte_fallback", false);
            w.WriteBoolean("ignore_merges", false);
            w.WriteStartObject("vocab");
            for (var id = 0; id < _tokens.Count; id++)
                w.WriteNumber(ByteLevelAlphabet.FromBytes(_tokens[id]), id);
            w.WriteEndObject();
            w.WriteStartArray("merges");
            foreach (var (left, right, _) in Merges)
                w.WriteStringValue(ByteLevelAlphabet.FromBytes(_tokens[left]) + " " + ByteLevelAlphabet.FromBytes(_tokens[right]));
            w.WriteEndArray();
            w.WriteEndObject();
        });

    /// <summary>The tokenizer_config.json bytes (UTF-8).</summary>
    public byte[] TokenizerConfigJson() =>
        WriteJson(w =>
        {
            w.WriteString("tokenizer_class", "PreTrainedTokenizerFast");
            if (BosToken is null)
                w.WriteNull("bos_token");
            else
                w.WriteString("bos_token", BosToken);
            if (EosToken is null)
                w.WriteNull("eos_token");
            else
                w.WriteString("eos_token", EosToken);
            w.WriteBoolean("add_prefix_space", false);
        });

    private static void WriteByteLevel(Utf8JsonWriter w, string name)
    {
        w.WriteStartObject(name);
        w.WriteString("type", "ByteLevel");
        w.WriteBoolean("add_prefix_space", false);
        w.WriteBoolean("trim_offsets", name != "post_processor");
        w.WriteBoolean("use_regex", true);
        w.WriteEndObject();
    }

    private static byte[] WriteJson(Action<Utf8JsonWriter> body)
    {
        using var stream = new MemoryStream();
        using (
            var writer = new Utf8JsonWriter(
                stream,
                new JsonWriterOptions
                {
                    Indented = true,
                    NewLine = "\n",
                    Encoder = JavaScriptEncoder.UnsafeRelaxedJsonEscaping,
                }
            )
        )
        {
            writer.WriteStartObject();
            body(writer);
            writer.WriteEndObject();
        }
        stream.WriteByte((byte)'\n');
        return stream.ToArray();
    }
}

// Loads a Hugging Face tokenizer (a model folder or its tokenizer.json) as an ITextTokenizer: byte-level BPE goes
// through Microsoft.ML.Tokenizers when the library can reproduce the file exactly; everything else the library
// cannot load from tokenizer.json (SentencePiece-style byte fallback, ignore_merges, normalizers, Metaspace) is
// encoded by BpeModel. BOS/EOS come from the folder's generation_config.json, config.json or tokenizer_config.json.
namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>Loads Hugging Face tokenizer.json files.</summary>
public static class HfTokenizer
{
    /// <summary>The file name Hugging Face uses.</summary>
    public const string FileName = "tokenizer.json";

    /// <summary>Loads the tokenizer of a model folder, or of a tokenizer.json path (its folder's config files give BOS/EOS).</summary>
    /// <param name="path">A folder holding tokenizer.json, or the path of a tokenizer.json file.</param>
    /// <exception cref="TokenizerFormatException">The file is missing or malformed, or uses a feature not implemented here;
    /// the message names the file and the JSON key at fault.</exception>
    public static ITextTokenizer Load(string path)
    {
        var definition = Read(path);
        return MlByteLevelBpeTokenizer.Supports(definition) ? MlByteLevelBpeTokenizer.Create(definition) : new HfBpeTokenizer(definition);
    }

    /// <summary>Reads and validates the tokenizer files at <paramref name="path"/> without choosing an encoder.</summary>
    internal static HfTokenizerDefinition Read(string path)
    {
        var file = Directory.Exists(path) ? Path.Combine(path, FileName) : path;
        if (!File.Exists(file))
            throw new TokenizerFormatException(file, null, "no such file");
        var definition = TokenizerJsonReader.Read(file);
        var (bos, eos) = SpecialTokenIds.Resolve(Path.GetDirectoryName(Path.GetFullPath(file))!, definition.Pieces);
        return definition with { BosId = bos, EosId = eos };
    }
}

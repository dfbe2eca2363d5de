// Where a model's files are, from the one path a user gives: a Hugging Face folder (config.json + model.safetensors or
// shards and their index), a .safetensors file (or a shard index) with config.json beside it, or a llama2.c .bin. The
// tokenizer is the one named explicitly, else the one beside the weights (tokenizer.json for Hugging Face, tokenizer.bin
// for llama2.c), else none: a model without a tokenizer reads and writes token ids.
// References: huggingface/safetensors and transformers' save_pretrained layout; karpathy/llama2.c (run.c, tokenizer.bin).
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>The formats a model can be read from.</summary>
public enum ModelFormat
{
    /// <summary>Hugging Face: config.json and safetensors weights (one file or shards with an index).</summary>
    HuggingFace,

    /// <summary>llama2.c's legacy (version 0) .bin that run.c reads.</summary>
    Llama2c,
}

/// <summary>The files of one model: format, weights, config (Hugging Face only) and tokenizer (if any).</summary>
/// <param name="Format">How the weights are stored.</param>
/// <param name="Path">The path the user gave, made absolute.</param>
/// <param name="WeightsPath">The safetensors file, the shard index, or the .bin.</param>
/// <param name="ConfigPath">config.json (Hugging Face), or null (llama2.c: the .bin's header is its config).</param>
/// <param name="TokenizerPath">tokenizer.json or tokenizer.bin, or null when the model has none.</param>
public sealed record ModelSource(ModelFormat Format, string Path, string WeightsPath, string? ConfigPath, string? TokenizerPath)
{
    /// <summary>The file name of a llama2.c tokenizer looked for beside a .bin.</summary>
    public const string Llama2cTokenizerFileName = "tokenizer.bin";

    /// <summary>Finds the files of the model at <paramref name="path"/>.</summary>
    /// <param name="path">A Hugging Face folder, a .safetensors file or shard index with config.json beside it, or a llama2.c .bin.</param>
    /// <param name="tokenizer">A tokenizer.json, a tokenizer.bin or a folder holding tokenizer.json; null for the one beside
    /// the weights, if any.</param>
    /// <exception cref="CheckpointException">Nothing usable at <paramref name="path"/> (or <paramref name="tokenizer"/>);
    /// the message names the path and says what was expected.</exception>
    public static ModelSource Resolve(string path, string? tokenizer = null)
    {
        var full = System.IO.Path.GetFullPath(path);
        ModelSource source;
        if (Directory.Exists(full))
        {
            var config = System.IO.Path.Combine(full, HfConfigReader.FileName);
            if (!File.Exists(config))
                throw new CheckpointException(
                    full,
                    null,
                    Directory.EnumerateFiles(full, "*.bin").Any()
                        ? $"no {HfConfigReader.FileName} here; a llama2.c checkpoint is named by its .bin file, not its folder"
                        : $"no {HfConfigReader.FileName} here: not a Hugging Face model folder"
                );
            var weights = SafetensorsCheckpoint.WeightsPathOf(full);
            if (!File.Exists(weights))
                throw new CheckpointException(
                    weights,
                    null,
                    $"file not found, and there is no {ShardIndex.FileName} beside it: the folder holds no weights"
                );
            source = new(ModelFormat.HuggingFace, full, weights, config, Beside(full, HfTokenizer.FileName));
        }
        else if (!File.Exists(full))
            throw new CheckpointException(full, null, "no such file or folder");
        else if (
            full.EndsWith(".safetensors", StringComparison.OrdinalIgnoreCase)
            || System.IO.Path.GetFileName(full) == ShardIndex.FileName
        )
        {
            var folder = System.IO.Path.GetDirectoryName(full)!;
            var config = System.IO.Path.Combine(folder, HfConfigReader.FileName);
            if (!File.Exists(config))
                throw new CheckpointException(
                    config,
                    null,
                    $"file not found: a safetensors file is read with the {HfConfigReader.FileName} beside it"
                );
            source = new(ModelFormat.HuggingFace, full, full, config, Beside(folder, HfTokenizer.FileName));
        }
        else if (full.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
        {
            if (IsZip(full))
                throw new CheckpointException(
                    full,
                    null,
                    "is a PyTorch pickle (zip) checkpoint, which TrajectoryLab does not read (unpickling can run code); "
                        + "save it as safetensors (model.save_pretrained(..., safe_serialization=True))"
                );
            source = new(ModelFormat.Llama2c, full, full, null, Beside(System.IO.Path.GetDirectoryName(full)!, Llama2cTokenizerFileName));
        }
        else
            throw new CheckpointException(
                full,
                null,
                "is not a model: expected a Hugging Face folder, a .safetensors file with config.json beside it, or a llama2.c .bin"
            );

        return tokenizer is null ? source : source with { TokenizerPath = ResolveTokenizer(tokenizer) };
    }

    /// <summary>The model's tokenizer, or null when it has none; wrapped in a <see cref="PaddedVocabularyTokenizer"/> when
    /// the model has more ids than it (a padded embedding), so that every id the model can choose can be shown.</summary>
    /// <param name="vocabularySize">The model's vocabulary size: a tokenizer with more ids than the model has rows is refused.</param>
    /// <exception cref="TokenizerFormatException">The tokenizer file is malformed, or has ids the model cannot read.</exception>
    public ITextTokenizer? LoadTokenizer(int vocabularySize)
    {
        if (TokenizerPath is null)
            return null;
        ITextTokenizer tokenizer = TokenizerPath.EndsWith(".bin", StringComparison.OrdinalIgnoreCase)
            ? Llama2cTokenizer.Load(TokenizerPath)
            : HfTokenizer.Load(TokenizerPath);
        if (tokenizer.VocabularySize > vocabularySize)
            throw new TokenizerFormatException(
                TokenizerPath,
                null,
                $"has {tokenizer.VocabularySize} token ids, but the model's vocabulary has {vocabularySize} (vocab_size): "
                    + "this tokenizer belongs to another model"
            );
        return tokenizer.VocabularySize < vocabularySize ? new PaddedVocabularyTokenizer(tokenizer, vocabularySize) : tokenizer;
    }

    /// <summary>A short description for reports: the format and the files read.</summary>
    public string Describe() =>
        Format == ModelFormat.Llama2c
            ? $"llama2.c checkpoint {WeightsPath}" + (TokenizerPath is null ? ", no tokenizer" : $", tokenizer {TokenizerPath}")
            : $"Hugging Face checkpoint {WeightsPath}" + (TokenizerPath is null ? ", no tokenizer" : $", tokenizer {TokenizerPath}");

    private static string? Beside(string folder, string name)
    {
        var file = System.IO.Path.Combine(folder, name);
        return File.Exists(file) ? file : null;
    }

    private static string ResolveTokenizer(string tokenizer)
    {
        var full = System.IO.Path.GetFullPath(tokenizer);
        if (Directory.Exists(full))
            return Beside(full, HfTokenizer.FileName)
                ?? throw new CheckpointException(full, null, $"no {HfTokenizer.FileName} in this tokenizer folder");
        if (!File.Exists(full))
            throw new CheckpointException(full, null, "tokenizer file not found");
        if (!full.EndsWith(".json", StringComparison.OrdinalIgnoreCase) && !full.EndsWith(".bin", StringComparison.OrdinalIgnoreCase))
            throw new CheckpointException(full, null, "is not a tokenizer: expected a tokenizer.json or a llama2.c tokenizer.bin");
        return full;
    }

    /// <summary>True when the file starts with a zip local-file header ("PK\x03\x04"), as torch.save's files do.</summary>
    private static bool IsZip(string file)
    {
        Span<byte> magic = stackalloc byte[4];
        using var stream = File.OpenRead(file);
        return stream.ReadAtLeast(magic, 4, throwOnEndOfStream: false) == 4 && magic is [0x50, 0x4B, 0x03, 0x04];
    }
}

// The one error type for bad tokenizer input (tokenizer.json, tokenizer_config.json, config.json, tokenizer.bin):
// its message always names the file, and the JSON key or binary field when one is at fault.
namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>A tokenizer file is missing, malformed, or uses a feature TrajectoryLab does not implement.</summary>
public sealed class TokenizerFormatException : Exception
{
    /// <summary>Creates the error; the message reads <c>{file}: {key}: {detail}</c>, or <c>{file}: {detail}</c> without a key.</summary>
    /// <param name="filePath">The file at fault.</param>
    /// <param name="key">The JSON key path (e.g. <c>model.merges[3]</c>) or binary field at fault; null for the file as a whole.</param>
    /// <param name="detail">What is wrong.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public TokenizerFormatException(string filePath, string? key, string detail, Exception? inner = null)
        : base(key is null ? $"{filePath}: {detail}" : $"{filePath}: {key}: {detail}", inner)
    {
        FilePath = filePath;
        Key = key;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The JSON key path or binary field at fault, or null.</summary>
    public string? Key { get; }
}

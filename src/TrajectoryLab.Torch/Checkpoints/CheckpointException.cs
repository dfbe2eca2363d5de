// The one error type for bad checkpoint input (safetensors files, their index, config.json):
// its message always names the file, and the tensor or key when one is at fault.
namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>A checkpoint file is missing, malformed, or disagrees with the model it should describe.</summary>
public sealed class CheckpointException : Exception
{
    /// <summary>Creates the error; the message reads <c>{file}: tensor 'x': {detail}</c> or <c>{file}: key 'x': {detail}</c>.</summary>
    /// <param name="filePath">The file at fault.</param>
    /// <param name="subject">What in the file is at fault, e.g. <c>tensor 'model.norm.weight'</c> or <c>key 'hidden_size'</c>; null for the
    /// file as a whole.</param>
    /// <param name="detail">What is wrong.</param>
    /// <param name="inner">The underlying error, if any.</param>
    public CheckpointException(string filePath, string? subject, string detail, Exception? inner = null)
        : base(subject is null ? $"{filePath}: {detail}" : $"{filePath}: {subject}: {detail}", inner)
    {
        FilePath = filePath;
        Subject = subject;
    }

    /// <summary>The file at fault.</summary>
    public string FilePath { get; }

    /// <summary>The tensor or key at fault (<c>tensor 'name'</c> / <c>key 'name'</c>), or null.</summary>
    public string? Subject { get; }

    /// <summary>The error is about how a safetensors file's tensors tile its data region (a gap, an overlap, bytes past
    /// the end), which a header entry that was deleted also causes: a model loader then names the tensor it misses.</summary>
    public bool IsLayoutError { get; init; }

    /// <summary>An error about one tensor of a file.</summary>
    public static CheckpointException ForTensor(string filePath, string tensor, string detail, Exception? inner = null) =>
        new(filePath, $"tensor '{tensor}'", detail, inner);

    /// <summary>An error about one key of a JSON file.</summary>
    public static CheckpointException ForKey(string filePath, string key, string detail, Exception? inner = null) =>
        new(filePath, $"key '{key}'", detail, inner);
}

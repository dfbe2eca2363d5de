// Reads one safetensors file: validates the whole header on open, then reads each tensor on demand
// straight from the file into its destination (no whole-file buffer, no memory map).
// Reference: https://github.com/huggingface/safetensors (format: u64 LE header length, JSON header, raw LE data).
using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>An open safetensors file whose header has been validated.</summary>
public sealed class SafetensorsReader : IDisposable
{
    private readonly SafeFileHandle _handle;
    private readonly long _dataStart;
    private readonly Dictionary<string, SafetensorsEntry> _byName;

    private SafetensorsReader(string filePath, SafeFileHandle handle, long dataStart, SafetensorsHeader header)
    {
        FilePath = filePath;
        _handle = handle;
        _dataStart = dataStart;
        Header = header;
        _byName = header.Tensors.ToDictionary(t => t.Name, StringComparer.Ordinal);
    }

    /// <summary>The file read.</summary>
    public string FilePath { get; }

    /// <summary>The validated header: tensors in file order and the string metadata.</summary>
    public SafetensorsHeader Header { get; }

    /// <summary>Opens <paramref name="filePath"/> and validates its header.</summary>
    /// <remarks>The header length is checked against the file size and <see cref="SafetensorsHeader.MaxHeaderBytes"/> before any
    /// buffer is allocated, so a corrupt length never allocates more than the file holds.</remarks>
    /// <exception cref="CheckpointException">The file is missing, unreadable, truncated, or its header is invalid.</exception>
    public static SafetensorsReader Open(string filePath) => Open(filePath, checkLayout: true);

    /// <summary>The tensor names of <paramref name="filePath"/>'s header, without checking how they tile the data region:
    /// for naming the entry a broken layout lacks. Never read tensors through this.</summary>
    /// <exception cref="CheckpointException">The file cannot be opened or its header is not a valid list of entries.</exception>
    public static IReadOnlySet<string> TensorNames(string filePath)
    {
        using var reader = Open(filePath, checkLayout: false);
        return reader.Header.Tensors.Select(t => t.Name).ToHashSet(StringComparer.Ordinal);
    }

    private static SafetensorsReader Open(string filePath, bool checkLayout)
    {
        SafeFileHandle handle;
        try
        {
            handle = File.OpenHandle(filePath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(filePath, null, $"cannot open safetensors file ({e.Message})", e);
        }

        try
        {
            var fileLength = RandomAccess.GetLength(handle);
            if (fileLength < 8)
                throw new CheckpointException(
                    filePath,
                    null,
                    string.Create(CultureInfo.InvariantCulture, $"file is {fileLength} bytes, shorter than the 8-byte header length")
                );
            Span<byte> prefix = stackalloc byte[8];
            FileReads.ReadExactly(handle, prefix, 0, filePath, null);
            var headerLength = BinaryPrimitives.ReadUInt64LittleEndian(prefix);
            if (headerLength > (ulong)(fileLength - 8))
                throw new CheckpointException(
                    filePath,
                    null,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"header length {headerLength} runs past the end of the file ({fileLength} bytes): "
                    ) + "truncated or not a safetensors file"
                );
            if (headerLength > SafetensorsHeader.MaxHeaderBytes)
                throw new CheckpointException(
                    filePath,
                    null,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"header length {headerLength} exceeds the {SafetensorsHeader.MaxHeaderBytes}-byte limit"
                    )
                );

            var json = new byte[headerLength];
            FileReads.ReadExactly(handle, json, 8, filePath, null);
            var dataStart = 8 + (long)headerLength;
            var header = SafetensorsHeader.Parse(filePath, json, fileLength - dataStart, checkLayout);
            return new SafetensorsReader(filePath, handle, dataStart, header);
        }
        catch
        {
            handle.Dispose();
            throw;
        }
    }

    /// <summary>True when the file holds a tensor named <paramref name="name"/>.</summary>
    public bool Contains(string name) => _byName.ContainsKey(name);

    /// <summary>The header entry of tensor <paramref name="name"/>.</summary>
    /// <exception cref="CheckpointException">No such tensor.</exception>
    public SafetensorsEntry Entry(string name) =>
        _byName.TryGetValue(name, out var entry) ? entry : throw CheckpointException.ForTensor(FilePath, name, "is not in the file");

    /// <summary>Reads tensor <paramref name="name"/>'s raw little-endian bytes into <paramref name="destination"/>, whose length must be
    /// its byte length.</summary>
    public void ReadBytes(string name, Span<byte> destination)
    {
        var entry = Entry(name);
        if (destination.Length != entry.ByteLength)
            throw new ArgumentException(
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"tensor '{name}' holds {entry.ByteLength} bytes, the destination {destination.Length}"
                ),
                nameof(destination)
            );
        FileReads.ReadExactly(_handle, destination, _dataStart + entry.Begin, FilePath, name);
    }

    /// <summary>Reads tensor <paramref name="name"/> through <paramref name="buffer"/> and checks that every element is finite.</summary>
    /// <exception cref="CheckpointException">No such tensor, a failed read, or a NaN or infinity (named with its index).</exception>
    public void CheckFinite(string name, Span<byte> buffer)
    {
        var entry = Entry(name);
        FileReads.CheckFinite(_handle, _dataStart + entry.Begin, entry.ByteLength, entry.DType, entry.Shape, FilePath, name, buffer);
    }

    /// <summary>Reads tensor <paramref name="name"/> as a new CPU tensor of its stored dtype and shape.</summary>
    /// <remarks>The tensor is allocated once and filled from the file in place; the caller owns it.</remarks>
    internal Tensor ReadTensor(string name)
    {
        var entry = Entry(name);
        // [entry.Shape]
        return FileReads.ReadTensor(_handle, _dataStart + entry.Begin, entry.Shape, entry.DType.ToScalarType(), FilePath, name);
    }

    /// <summary>Closes the file.</summary>
    public void Dispose() => _handle.Dispose();
}

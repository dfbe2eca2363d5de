// The file format of `trajectorylab compress`: a fixed 156-byte little-endian header, then the arithmetic-coded payload.
//   0  "TLAC"           magic
//   4  u16 version (1), u16 reserved (0)
//   8  32 B             SHA-256 content hash of the coding model (weights, config, tokenizer)
//  40  u64 tokens       token ids coded
//  48  u64 bytes        length of the original text in bytes
//  56  u32 total        frequency total T of every table (2^24)
//  60  u32 block        tokens coded per model context before it restarts
//  64  u32 start        the token each context starts from (BOS)
//  68  u32 reserved (0)
//  72  32 B             SHA-256 of the original bytes
// 104  u64 payload      payload length in bytes
// 112  32 B             SHA-256 of bytes 0–111 and of the payload: any flipped bit anywhere is caught before decoding
// 144  12 B             reserved (0)
// 156  payload
// A reader refuses a file that is too short, has the wrong magic or version, a payload length that disagrees with the
// file's, or a checksum that does not match, each with one line naming the file (CompressedTextException).
using System.Buffers.Binary;
using System.Security.Cryptography;

namespace TrajectoryLab.Core.Coding;

/// <summary>A compressed text: the coding parameters, the checksums and the payload.</summary>
/// <param name="ModelHash">SHA-256 content hash of the model (32 bytes).</param>
/// <param name="Tokens">Token ids coded.</param>
/// <param name="Bytes">The original text's length in bytes.</param>
/// <param name="Total">Frequency total T of every table.</param>
/// <param name="Block">Tokens coded per context before the model restarts.</param>
/// <param name="Start">The token each context starts from.</param>
/// <param name="TextHash">SHA-256 of the original bytes (32 bytes).</param>
/// <param name="Payload">The arithmetic-coded token ids.</param>
public sealed record CompressedText(
    byte[] ModelHash,
    long Tokens,
    long Bytes,
    int Total,
    int Block,
    int Start,
    byte[] TextHash,
    byte[] Payload
)
{
    /// <summary>The magic bytes "TLAC".</summary>
    public static ReadOnlySpan<byte> Magic => "TLAC"u8;

    /// <summary>The format version this code writes and reads.</summary>
    public const int Version = 1;

    /// <summary>Bytes before the payload.</summary>
    public const int HeaderBytes = 156;

    /// <summary>The whole file: header, then payload.</summary>
    public byte[] ToBytes()
    {
        if (ModelHash.Length != 32 || TextHash.Length != 32)
            throw new InvalidOperationException("model and text hashes must be SHA-256 (32 bytes)");
        var file = new byte[HeaderBytes + Payload.Length];
        var s = file.AsSpan();
        Magic.CopyTo(s);
        BinaryPrimitives.WriteUInt16LittleEndian(s[4..], Version);
        ModelHash.CopyTo(s[8..]);
        BinaryPrimitives.WriteInt64LittleEndian(s[40..], Tokens);
        BinaryPrimitives.WriteInt64LittleEndian(s[48..], Bytes);
        BinaryPrimitives.WriteInt32LittleEndian(s[56..], Total);
        BinaryPrimitives.WriteInt32LittleEndian(s[60..], Block);
        BinaryPrimitives.WriteInt32LittleEndian(s[64..], Start);
        TextHash.CopyTo(s[72..]);
        BinaryPrimitives.WriteInt64LittleEndian(s[104..], Payload.Length);
        Payload.CopyTo(s[HeaderBytes..]);
        FileHash(file).CopyTo(s[112..]);
        return file;
    }

    /// <summary>Parses and checks a file's bytes.</summary>
    /// <param name="file">The file's contents.</param>
    /// <param name="path">The file's name, for messages.</param>
    /// <exception cref="CompressedTextException">Not this format, another version, truncated, or corrupted.</exception>
    public static CompressedText Parse(byte[] file, string path)
    {
        ArgumentNullException.ThrowIfNull(file);
        var s = file.AsSpan();
        if (file.Length < Magic.Length || !s[..Magic.Length].SequenceEqual(Magic))
            throw new CompressedTextException(path, "not a file written by `trajectorylab compress` (no TLAC magic)");
        if (file.Length < HeaderBytes)
            throw new CompressedTextException(path, $"truncated: {file.Length} bytes, shorter than the {HeaderBytes}-byte header");
        var version = BinaryPrimitives.ReadUInt16LittleEndian(s[4..]);
        if (version != Version)
            throw new CompressedTextException(path, $"format version {version}; this build reads version {Version}");
        var payload = BinaryPrimitives.ReadInt64LittleEndian(s[104..]);
        if (payload != file.Length - HeaderBytes)
            throw new CompressedTextException(
                path,
                payload > file.Length - HeaderBytes
                    ? $"truncated: the header announces {payload} payload bytes, the file holds {file.Length - HeaderBytes}"
                    : $"corrupted: the header announces {payload} payload bytes, the file holds {file.Length - HeaderBytes}"
            );
        if (!FileHash(file).AsSpan().SequenceEqual(s[112..144]))
            throw new CompressedTextException(path, "corrupted: the checksum of the header and payload does not match");
        var text = new CompressedText(
            s[8..40].ToArray(),
            BinaryPrimitives.ReadInt64LittleEndian(s[40..]),
            BinaryPrimitives.ReadInt64LittleEndian(s[48..]),
            BinaryPrimitives.ReadInt32LittleEndian(s[56..]),
            BinaryPrimitives.ReadInt32LittleEndian(s[60..]),
            BinaryPrimitives.ReadInt32LittleEndian(s[64..]),
            s[72..104].ToArray(),
            s[HeaderBytes..].ToArray()
        );
        if (text.Tokens < 0 || text.Bytes < 0 || text.Total < 2 || text.Total > ArithmeticCoder.MaxTotal || text.Block < 1)
            throw new CompressedTextException(path, "corrupted: impossible header values");
        return text;
    }

    /// <summary>SHA-256 of the header's first 112 bytes and of the payload.</summary>
    private static byte[] FileHash(byte[] file)
    {
        using var sha = IncrementalHash.CreateHash(HashAlgorithmName.SHA256);
        sha.AppendData(file, 0, 112);
        sha.AppendData(file, HeaderBytes, file.Length - HeaderBytes);
        return sha.GetHashAndReset();
    }

    /// <summary>Lowercase hex of the first <paramref name="bytes"/> bytes of <paramref name="hash"/>, for messages.</summary>
    public static string Short(byte[] hash, int bytes = 6) => Convert.ToHexStringLower(hash.AsSpan(0, Math.Min(bytes, hash.Length)));
}

/// <summary>A compressed file that cannot be read; the message names the file.</summary>
public sealed class CompressedTextException(string path, string problem) : Exception($"{path}: {problem}")
{
    /// <summary>The file.</summary>
    public string Path { get; } = path;
}

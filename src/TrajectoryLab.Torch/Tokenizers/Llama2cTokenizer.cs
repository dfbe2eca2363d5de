// llama2.c's tokenizer.bin (a SentencePiece BPE vocabulary exported with scores) and run.c's encode/decode:
// text → one token per UTF-8 character (or its bytes as <0xNN> tokens at ids 3..258), a " " dummy prefix, then
// repeatedly merge the adjacent pair whose concatenation is a token with the highest score; BOS = 1, EOS = 2.
// Written here because Microsoft.ML.Tokenizers reads SentencePiece only from a .model protobuf.
// File: int32 max_token_length, then per token float32 score, int32 byte length, bytes (little-endian); the file
// does not store the vocabulary size, so it is read to the end unless the model's size is given.
// References: Kudo & Richardson 2018 (SentencePiece); karpathy/llama2.c run.c (encode, decode) and tokenizer.py (export).
using System.Buffers.Binary;
using System.Text;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>The tokenizer of a llama2.c model.</summary>
/// <remarks>Encode follows run.c exactly, except that its O(n²) rescan per merge is an O(n log n) heap with the same order
/// (best score, then leftmost). Decode drops the leading space of the first token and of a token after BOS (run.c does the
/// latter; the former makes <c>Decode(Encode(s)) == s</c>), and turns <c>&lt;0xNN&gt;</c> into the byte.</remarks>
public sealed class Llama2cTokenizer : ITextTokenizer, IPairMerges
{
    /// <summary>run.c's BOS id.</summary>
    public const int Bos = 1;

    /// <summary>run.c's EOS id.</summary>
    public const int Eos = 2;

    /// <summary>Id of the byte token <c>&lt;0x00&gt;</c>; byte b is id <c>ByteOffset + b</c>.</summary>
    public const int ByteOffset = 3;

    private const float NoMergeScore = -1e10f; // run.c's initial best score: a pair scoring at or below it never merges

    private readonly byte[][] _pieces; // (vocab,) token bytes
    private readonly float[] _scores; // (vocab,)
    private readonly int[] _canonical; // (vocab,) lowest id with the same bytes: run.c looks tokens up by string
    private readonly Dictionary<string, int> _byString; // Latin-1 view of the bytes → lowest id
    private readonly Dictionary<long, int> _pairs; // (canonical left, canonical right) → merged id
    private readonly int _space;

    private Llama2cTokenizer(byte[][] pieces, float[] scores, int maxTokenLength)
    {
        _pieces = pieces;
        _scores = scores;
        MaxTokenLength = maxTokenLength;
        _byString = new Dictionary<string, int>(StringComparer.Ordinal);
        _canonical = new int[pieces.Length];
        for (var id = 0; id < pieces.Length; id++)
        {
            var key = Encoding.Latin1.GetString(pieces[id]);
            _canonical[id] = _byString.TryAdd(key, id) ? id : _byString[key];
        }
        _pairs = [];
        var lookup = _byString.GetAlternateLookup<ReadOnlySpan<char>>();
        foreach (var (key, id) in _byString)
            for (var k = 1; k < key.Length; k++)
                if (lookup.TryGetValue(key.AsSpan(0, k), out var left) && lookup.TryGetValue(key.AsSpan(k), out var right))
                    _pairs[Key(left, right)] = id;
        _space = _byString.GetValueOrDefault(" ", -1);
    }

    /// <summary>The longest token in bytes, as the file states it.</summary>
    public int MaxTokenLength { get; }

    /// <inheritdoc/>
    public int VocabularySize => _pieces.Length;

    /// <inheritdoc/>
    public int? BosId => Bos;

    /// <inheritdoc/>
    public int? EosId => Eos;

    /// <summary>The score of a token (SentencePiece's log-probability-like merge priority).</summary>
    public float Score(int id) => _scores[CheckId(id)];

    /// <summary>Reads a tokenizer.bin.</summary>
    /// <param name="path">The file.</param>
    /// <param name="vocabularySize">The model's vocabulary size, when known: exactly that many tokens must be present.</param>
    /// <exception cref="TokenizerFormatException">Unreadable or truncated file, a bad length, missing byte tokens, or no " " token;
    /// the message names the file and the token at fault.</exception>
    public static Llama2cTokenizer Load(string path, int? vocabularySize = null)
    {
        byte[] bytes;
        try
        {
            bytes = File.ReadAllBytes(path);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new TokenizerFormatException(path, null, $"cannot read the file ({e.Message})", e);
        }
        if (bytes.Length < 4)
            throw new TokenizerFormatException(path, "max_token_length", $"file ends at byte {bytes.Length}, before the 4-byte header");
        var maxLength = BinaryPrimitives.ReadInt32LittleEndian(bytes);
        if (maxLength <= 0)
            throw new TokenizerFormatException(path, "max_token_length", $"must be positive, found {maxLength}");

        var pieces = new List<byte[]>();
        var scores = new List<float>();
        var offset = 4;
        while (vocabularySize is { } n ? pieces.Count < n : offset < bytes.Length)
        {
            var field = $"token {pieces.Count}";
            if (bytes.Length - offset < 8)
                throw new TokenizerFormatException(
                    path,
                    field,
                    $"file ends at byte {bytes.Length}, inside the score and length that start at byte {offset}"
                        + (vocabularySize is { } expected ? $" ({expected} tokens expected)" : "")
                );
            var score = BinaryPrimitives.ReadSingleLittleEndian(bytes.AsSpan(offset));
            var length = BinaryPrimitives.ReadInt32LittleEndian(bytes.AsSpan(offset + 4));
            offset += 8;
            if (length < 0 || length > maxLength)
                throw new TokenizerFormatException(path, field, $"length {length} is outside 0..max_token_length ({maxLength})");
            if (bytes.Length - offset < length)
                throw new TokenizerFormatException(
                    path,
                    field,
                    $"file ends at byte {bytes.Length}, inside the {length} bytes that start at byte {offset}"
                );
            pieces.Add(bytes.AsSpan(offset, length).ToArray());
            scores.Add(score);
            offset += length;
        }
        if (offset != bytes.Length)
            throw new TokenizerFormatException(path, null, $"{bytes.Length - offset} bytes follow the last of the {pieces.Count} tokens");
        if (pieces.Count < ByteOffset + 256)
            throw new TokenizerFormatException(
                path,
                null,
                $"{pieces.Count} tokens; at least {ByteOffset + 256} needed (ids 3..258 are the byte tokens)"
            );
        for (var b = 0; b < 256; b++)
            if (Encoding.Latin1.GetString(pieces[ByteOffset + b]) != BpeModel.ByteToken((byte)b))
                throw new TokenizerFormatException(
                    path,
                    $"token {ByteOffset + b}",
                    $"expected the byte token {BpeModel.ByteToken((byte)b)}"
                );
        if (!pieces.Any(p => p is [(byte)' ']))
            throw new TokenizerFormatException(path, null, "no \" \" token, which run.c's encoder puts in front of the text");
        return new Llama2cTokenizer([.. pieces], [.. scores], maxLength);
    }

    /// <inheritdoc/>
    public int[] Encode(string text)
    {
        var tokens = new List<int>(text.Length + 1);
        if (text.Length == 0)
            return [];
        tokens.Add(_space);
        Span<byte> utf8 = stackalloc byte[4];
        var lookup = _byString.GetAlternateLookup<ReadOnlySpan<char>>();
        Span<char> latin1 = stackalloc char[4];
        foreach (var rune in Utf8Text.ReplaceLoneSurrogates(text).EnumerateRunes())
        {
            var count = rune.EncodeToUtf8(utf8);
            for (var i = 0; i < count; i++)
                latin1[i] = (char)utf8[i];
            if (lookup.TryGetValue(latin1[..count], out var id))
                tokens.Add(id);
            else
                for (var i = 0; i < count; i++)
                    tokens.Add(ByteOffset + utf8[i]);
        }
        BpeMerger.Merge(tokens, 0, this);
        return [.. tokens];
    }

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var bytes = new List<byte>();
        for (var i = 0; i < ids.Length; i++)
            AppendPiece(ids[i], stripSpace: i == 0 || ids[i - 1] == Bos, bytes);
        return Utf8Text.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes), escapeInvalid: false);
    }

    /// <inheritdoc/>
    public string TokenText(int id)
    {
        var bytes = new List<byte>();
        AppendPiece(id, stripSpace: false, bytes);
        return Utf8Text.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes), escapeInvalid: true);
    }

    bool IPairMerges.TryGetMerge(int left, int right, out double priority, out int merged)
    {
        if (_pairs.TryGetValue(Key(_canonical[left], _canonical[right]), out merged) && _scores[merged] > NoMergeScore)
        {
            priority = -_scores[merged];
            return true;
        }
        priority = 0;
        merged = -1;
        return false;
    }

    private void AppendPiece(int id, bool stripSpace, List<byte> output)
    {
        var piece = _pieces[CheckId(id)];
        if (id is >= ByteOffset and < ByteOffset + 256)
        {
            output.Add((byte)(id - ByteOffset));
            return;
        }
        output.AddRange(stripSpace && piece is [(byte)' ', ..] ? piece.AsSpan(1) : piece);
    }

    private int CheckId(int id) =>
        (uint)id < (uint)_pieces.Length
            ? id
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary (size {_pieces.Length})");

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}

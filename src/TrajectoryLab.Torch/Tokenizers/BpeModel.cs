// The "BPE" model of a Hugging Face tokenizer.json applied to one pre-token: split into characters (Unicode scalar
// values), map unknown characters to <0xNN> byte tokens (byte_fallback) or the unknown token, then merge pairs in
// the order of model.merges. Written here because Microsoft.ML.Tokenizers 2.0.1's BpeTokenizer has no byte fallback
// and no ignore_merges, and its SentencePiece tokenizers load only a sentencepiece .model protobuf, not tokenizer.json.
// References: Sennrich et al. 2016 (BPE); Kudo & Richardson 2018 (SentencePiece byte fallback); huggingface/tokenizers models/bpe.
using System.Globalization;
using System.Text;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>A BPE vocabulary with ranked merges, encoding one pre-token at a time.</summary>
internal sealed class BpeModel : IPairMerges
{
    private readonly Dictionary<string, int> _vocab;
    private readonly Dictionary<string, int>.AlternateLookup<ReadOnlySpan<char>> _lookup;
    private readonly Dictionary<long, (int Rank, int Merged)> _merges;
    private readonly int[]? _byteIds; // (256,) id of <0xNN>, when byte fallback is on

    /// <summary>Builds the model; ranks are the positions in <paramref name="merges"/>.</summary>
    /// <param name="vocab">Token string → id.</param>
    /// <param name="merges">Merges as ids: left, right, and the token their concatenation is.</param>
    /// <param name="unknownId">The id of unk_token, if any.</param>
    /// <param name="byteFallback">Whether unknown characters become their UTF-8 bytes as <c>&lt;0xNN&gt;</c> tokens.</param>
    /// <param name="fuseUnknown">Whether consecutive unknown tokens fuse into one.</param>
    /// <param name="ignoreMerges">Whether a pre-token that is itself in the vocabulary is emitted whole (Llama 3).</param>
    public BpeModel(
        Dictionary<string, int> vocab,
        IReadOnlyList<(int Left, int Right, int Merged)> merges,
        int? unknownId,
        bool byteFallback,
        bool fuseUnknown,
        bool ignoreMerges
    )
    {
        _vocab = vocab;
        _lookup = vocab.GetAlternateLookup<ReadOnlySpan<char>>();
        UnknownId = unknownId;
        FuseUnknown = fuseUnknown;
        IgnoreMerges = ignoreMerges;
        _merges = new Dictionary<long, (int, int)>(merges.Count);
        for (var rank = 0; rank < merges.Count; rank++)
        {
            var (left, right, merged) = merges[rank];
            _merges.TryAdd(Key(left, right), (rank, merged)); // a repeated pair keeps its first (best) rank, as in Hugging Face
        }
        if (byteFallback)
        {
            _byteIds = new int[256];
            for (var b = 0; b < 256; b++)
                _byteIds[b] = vocab.TryGetValue(ByteToken((byte)b), out var id) ? id : -1;
        }
    }

    /// <summary>The unknown token's id, if any.</summary>
    public int? UnknownId { get; }

    /// <summary>Whether consecutive unknown tokens fuse into one.</summary>
    public bool FuseUnknown { get; }

    /// <summary>Whether a pre-token found whole in the vocabulary skips merging.</summary>
    public bool IgnoreMerges { get; }

    /// <summary>Whether unknown characters fall back to byte tokens.</summary>
    public bool ByteFallback => _byteIds is not null;

    /// <summary>The vocabulary.</summary>
    public IReadOnlyDictionary<string, int> Vocabulary => _vocab;

    /// <summary>The text of the byte token for <paramref name="b"/>, e.g. <c>&lt;0x0A&gt;</c>.</summary>
    public static string ByteToken(byte b) => "<0x" + b.ToString("X2", CultureInfo.InvariantCulture) + ">";

    /// <summary>Appends the ids of <paramref name="word"/> to <paramref name="output"/>.</summary>
    /// <exception cref="ArgumentException">A character is not in the vocabulary and there is neither byte fallback nor an unknown
    /// token.</exception>
    public void Encode(ReadOnlySpan<char> word, List<int> output)
    {
        if (word.IsEmpty)
            return;
        if (IgnoreMerges && _lookup.TryGetValue(word, out var whole))
        {
            output.Add(whole);
            return;
        }
        var start = output.Count;
        var previousUnknown = false;
        Span<char> utf16 = stackalloc char[2];
        Span<byte> utf8 = stackalloc byte[4];
        foreach (var rune in word.EnumerateRunes())
        {
            var length = rune.EncodeToUtf16(utf16);
            if (_lookup.TryGetValue(utf16[..length], out var id))
            {
                output.Add(id);
                previousUnknown = false;
                continue;
            }
            if (_byteIds is not null)
            {
                var byteCount = rune.EncodeToUtf8(utf8);
                var all = true;
                for (var i = 0; i < byteCount; i++)
                    all &= _byteIds[utf8[i]] >= 0;
                if (all)
                {
                    for (var i = 0; i < byteCount; i++)
                        output.Add(_byteIds[utf8[i]]);
                    previousUnknown = false;
                    continue;
                }
            }
            if (UnknownId is not { } unknown)
                throw new ArgumentException(
                    $"character U+{rune.Value:X4} is not in the vocabulary, and the tokenizer has no unknown token",
                    nameof(word)
                );
            if (!(FuseUnknown && previousUnknown))
                output.Add(unknown);
            previousUnknown = true;
        }
        BpeMerger.Merge(output, start, this);
    }

    /// <inheritdoc/>
    public bool TryGetMerge(int left, int right, out double priority, out int merged)
    {
        if (_merges.TryGetValue(Key(left, right), out var m))
        {
            priority = m.Rank;
            merged = m.Merged;
            return true;
        }
        priority = 0;
        merged = -1;
        return false;
    }

    private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
}

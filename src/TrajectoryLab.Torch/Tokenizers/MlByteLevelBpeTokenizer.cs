// A byte-level BPE tokenizer.json (GPT-2, Llama 3 without ignore_merges, Qwen2, and the tokenizers ByteLevelBpeTrainer
// writes) encoded and decoded by Microsoft.ML.Tokenizers' BpeTokenizer (ByteLevel = true). The library is given
// vocab and merges and a PreTokenizer adapter that cuts text exactly as the file's pre_tokenizer does (added tokens
// first, then the Split/ByteLevel regexes, never inside a surrogate pair); the library maps bytes and merges.
// Reference: Radford et al. 2019 (GPT-2 byte-level BPE).
using Microsoft.ML.Tokenizers;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>Byte-level BPE through Microsoft.ML.Tokenizers.</summary>
internal sealed class MlByteLevelBpeTokenizer : HfTokenizerBase
{
    private readonly BpeTokenizer _library;

    private MlByteLevelBpeTokenizer(HfTokenizerDefinition definition)
        : base(definition)
    {
        var special = definition.Added.Tokens.ToDictionary(t => t.Content, t => t.Id, StringComparer.Ordinal);
        _library = BpeTokenizer.Create(
            new BpeOptions(definition.Model.Vocabulary)
            {
                Merges = definition.Merges.Select(m => m.Left + " " + m.Right),
                ByteLevel = true,
                PreTokenizer = new SplitAdapter(definition),
                SpecialTokens = special,
            }
        );
    }

    /// <summary>Whether the library can encode <paramref name="definition"/> exactly as Hugging Face does.</summary>
    /// <remarks>It needs: no normalizer; a pre-tokenizer that only cuts text and ends with ByteLevel (no prefix space); a
    /// ByteLevel-only decoder; no byte fallback, unknown token or ignore_merges; added tokens without strip or single-word
    /// rules; and merge sides without spaces (the library reads merges as "left right").</remarks>
    public static bool Supports(HfTokenizerDefinition definition) =>
        definition.Normalizer is null
        && definition.PreTokenizer.OnlySplitsThenMapsBytes
        && definition.Decoder.IsByteLevelOnly
        && !definition.Model.ByteFallback
        && definition.Model.UnknownId is null
        && !definition.Model.IgnoreMerges
        && definition.Added.Tokens.All(t => !t.SingleWord && !t.LeftStrip && !t.RightStrip)
        && definition.Merges.All(m => !m.Left.Contains(' ', StringComparison.Ordinal) && !m.Right.Contains(' ', StringComparison.Ordinal));

    /// <summary>Creates the tokenizer; <see cref="Supports"/> must hold.</summary>
    public static MlByteLevelBpeTokenizer Create(HfTokenizerDefinition definition) =>
        Supports(definition)
            ? new MlByteLevelBpeTokenizer(definition)
            : throw new ArgumentException("the library cannot encode this tokenizer.json exactly", nameof(definition));

    /// <inheritdoc/>
    public override int[] Encode(string text) => [.. _library.EncodeToIds(Utf8Text.ReplaceLoneSurrogates(text))];

    /// <inheritdoc/>
    public override string Decode(ReadOnlySpan<int> ids)
    {
        foreach (var id in ids)
            Piece(id); // range check with this interface's exception
        return _library.Decode(ids.ToArray());
    }

    /// <summary>Cuts text as the file's added tokens and pre-tokenizer do, as (offset, length) ranges.</summary>
    private sealed class SplitAdapter(HfTokenizerDefinition definition) : PreTokenizer
    {
        public override IEnumerable<(int Offset, int Length)> PreTokenize(string text) => Ranges(text);

        public override IEnumerable<(int Offset, int Length)> PreTokenize(ReadOnlySpan<char> text) => Ranges(text.ToString());

        private List<(int, int)> Ranges(string text)
        {
            var ranges = new List<(int, int)>();
            var segments = new List<TextSegment>();
            var pieces = new List<string>();
            definition.Added.Split(text, segments);
            foreach (var segment in segments)
            {
                if (segment.AddedId >= 0)
                {
                    ranges.Add((segment.Start, segment.Length));
                    continue;
                }
                pieces.Clear();
                definition.PreTokenizer.Split(text.Substring(segment.Start, segment.Length), segment.Start == 0, mapBytes: false, pieces);
                var offset = segment.Start;
                foreach (var piece in pieces)
                {
                    ranges.Add((offset, piece.Length));
                    offset += piece.Length;
                }
            }
            return ranges;
        }
    }
}

// A tokenizer.json BPE tokenizer encoded by the code written here (BpeModel): used for what Microsoft.ML.Tokenizers
// 2.0.1 cannot do — SentencePiece-style BPE with byte fallback (Llama 2, TinyLlama, Mistral), ignore_merges
// (Llama 3), normalizers, ByteLevel with add_prefix_space, Metaspace, added tokens with lstrip/rstrip/single_word.
// Pipeline as in huggingface/tokenizers: added tokens → normalizer → pre-tokenizer → BPE per piece; decoder back.
// References: Sennrich et al. 2016 (BPE); Radford et al. 2019 (byte-level); Kudo & Richardson 2018 (SentencePiece).
namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>Encodes and decodes with a parsed tokenizer.json and <see cref="BpeModel"/>.</summary>
internal sealed class HfBpeTokenizer(HfTokenizerDefinition definition) : HfTokenizerBase(definition)
{
    /// <inheritdoc/>
    public override int[] Encode(string text)
    {
        text = Utf8Text.ReplaceLoneSurrogates(text);
        var segments = new List<TextSegment>();
        Definition.Added.Split(text, segments);
        var ids = new List<int>(text.Length / 3 + 1);
        var pieces = new List<string>();
        foreach (var segment in segments)
        {
            if (segment.AddedId >= 0)
            {
                ids.Add(segment.AddedId);
                continue;
            }
            var segmentText = text.Substring(segment.Start, segment.Length);
            var normalized = Definition.Normalizer?.Apply(segmentText) ?? segmentText;
            pieces.Clear();
            Definition.PreTokenizer.Split(normalized, atTextStart: segment.Start == 0, mapBytes: true, pieces);
            foreach (var piece in pieces)
                Definition.Model.Encode(piece, ids);
        }
        return [.. ids];
    }

    /// <inheritdoc/>
    public override string Decode(ReadOnlySpan<int> ids)
    {
        var pieces = new string[ids.Length];
        for (var i = 0; i < ids.Length; i++)
            pieces[i] = Piece(ids[i]);
        return Definition.Decoder.Decode(pieces, forDisplay: false);
    }
}

// The one tokenizer interface the rest of TrajectoryLab sees: text to ids, ids to text, and a readable form of one
// token for plots and tables. Implementations: Hugging Face tokenizer.json BPE (byte-level and SentencePiece-style
// with byte fallback, see HfTokenizer) and llama2.c's tokenizer.bin (Llama2cTokenizer).
namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>Turns text into token ids and back.</summary>
/// <remarks>
/// <see cref="Encode"/> adds no BOS/EOS: a caller that wants them prepends <see cref="BosId"/> or appends <see cref="EosId"/>.
/// For every valid Unicode string <c>s</c> (no lone surrogates) a byte-level tokenizer gives <c>Decode(Encode(s)) == s</c>;
/// a SentencePiece-style one does too unless <c>s</c> contains its whitespace marker U+2581 or the text of an added token.
/// </remarks>
public interface ITextTokenizer
{
    /// <summary>Number of token ids: one more than the largest id of the vocabulary and the added tokens.</summary>
    int VocabularySize { get; }

    /// <summary>The beginning-of-sequence id, or null when the tokenizer has none.</summary>
    int? BosId { get; }

    /// <summary>The end-of-sequence id, or null when the tokenizer has none.</summary>
    int? EosId { get; }

    /// <summary>Token ids of <paramref name="text"/>, without BOS or EOS. Added (special) tokens written in the text become their single
    /// ids.</summary>
    int[] Encode(string text);

    /// <summary>The text of <paramref name="ids"/>; special tokens are written as their text, bytes that are not valid UTF-8 as
    /// U+FFFD.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An id is negative or not below <see cref="VocabularySize"/>.</exception>
    string Decode(ReadOnlySpan<int> ids);

    /// <summary>A readable form of one token, as it would appear in decoded text; bytes that do not form UTF-8 on their own are written
    /// <c>&lt;0xNN&gt;</c>.</summary>
    /// <exception cref="ArgumentOutOfRangeException"><paramref name="id"/> is negative or not below <see
    /// cref="VocabularySize"/>.</exception>
    string TokenText(int id);
}

// Everything TrajectoryLab takes from a Hugging Face tokenizer.json (model "BPE") and its companion files, read
// and validated once; both encoders (Microsoft.ML.Tokenizers' BpeTokenizer and the BpeModel written here) start from it.
namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>A parsed BPE tokenizer.json.</summary>
/// <param name="FilePath">The tokenizer.json it came from.</param>
/// <param name="Model">The BPE vocabulary and merges.</param>
/// <param name="Merges">The merges as token strings, in rank order.</param>
/// <param name="Added">The added tokens.</param>
/// <param name="Normalizer">The normalizer, if any.</param>
/// <param name="PreTokenizer">The pre-tokenizer (possibly empty).</param>
/// <param name="Decoder">The decoder.</param>
/// <param name="Pieces">Id → token string over the vocabulary and the added tokens (null for an unused id).</param>
/// <param name="BosId">The beginning-of-sequence id, if known.</param>
/// <param name="EosId">The end-of-sequence id, if known.</param>
internal sealed record HfTokenizerDefinition(
    string FilePath,
    BpeModel Model,
    IReadOnlyList<(string Left, string Right)> Merges,
    AddedTokens Added,
    TextNormalizer? Normalizer,
    PreTokenizerChain PreTokenizer,
    PieceDecoder Decoder,
    string?[] Pieces,
    int? BosId,
    int? EosId
);

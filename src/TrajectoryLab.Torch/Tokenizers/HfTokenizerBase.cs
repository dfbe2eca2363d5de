// What the two tokenizer.json encoders share: the id → piece table, BOS/EOS, id checks, and showing one token
// through the file's own decoder.
namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>Common part of the tokenizer.json tokenizers.</summary>
internal abstract class HfTokenizerBase(HfTokenizerDefinition definition) : ITextTokenizer
{
    /// <summary>The parsed tokenizer.json.</summary>
    public HfTokenizerDefinition Definition { get; } = definition;

    /// <inheritdoc/>
    public int VocabularySize => Definition.Pieces.Length;

    /// <inheritdoc/>
    public int? BosId => Definition.BosId;

    /// <inheritdoc/>
    public int? EosId => Definition.EosId;

    /// <inheritdoc/>
    public abstract int[] Encode(string text);

    /// <inheritdoc/>
    public abstract string Decode(ReadOnlySpan<int> ids);

    /// <inheritdoc/>
    public string TokenText(int id) => Definition.Decoder.Decode([Piece(id)], forDisplay: true);

    /// <summary>The token string of <paramref name="id"/> ("" for an id no token uses).</summary>
    protected string Piece(int id) =>
        (uint)id < (uint)Definition.Pieces.Length
            ? Definition.Pieces[id] ?? ""
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary (size {VocabularySize})");
}

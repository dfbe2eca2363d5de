// A tokenizer over a model whose vocabulary has more rows than the tokenizer has ids (embedding matrices are often
// padded to a multiple of 64 or 128, e.g. Qwen's 151936 rows for 151665 ids): the model can still choose an id the
// tokenizer has never heard of, which is shown as ⟨id⟩ instead of failing the report.
using System.Globalization;
using System.Text;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>Wraps <paramref name="inner"/> so that every id below <paramref name="vocabularySize"/> can be shown.</summary>
/// <param name="inner">The model's tokenizer.</param>
/// <param name="vocabularySize">The model's vocabulary size, at least the tokenizer's.</param>
public sealed class PaddedVocabularyTokenizer(ITextTokenizer inner, int vocabularySize) : ITextTokenizer
{
    /// <summary>The wrapped tokenizer.</summary>
    public ITextTokenizer Inner { get; } =
        vocabularySize >= inner.VocabularySize
            ? inner
            : throw new ArgumentOutOfRangeException(
                nameof(vocabularySize),
                vocabularySize,
                $"below the tokenizer's {inner.VocabularySize} ids"
            );

    /// <summary>The model's vocabulary size.</summary>
    public int VocabularySize { get; } = vocabularySize;

    /// <inheritdoc/>
    public int? BosId => Inner.BosId;

    /// <inheritdoc/>
    public int? EosId => Inner.EosId;

    /// <inheritdoc/>
    public int[] Encode(string text) => Inner.Encode(text);

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var text = new StringBuilder();
        var start = 0;
        for (var i = 0; i <= ids.Length; i++)
        {
            if (i < ids.Length && ids[i] < Inner.VocabularySize)
                continue;
            if (i > start)
                text.Append(Inner.Decode(ids[start..i]));
            if (i < ids.Length)
                text.Append(TokenText(ids[i]));
            start = i + 1;
        }
        return text.ToString();
    }

    /// <inheritdoc/>
    public string TokenText(int id) =>
        (uint)id < (uint)Inner.VocabularySize ? Inner.TokenText(id)
        : (uint)id < (uint)VocabularySize ? string.Create(CultureInfo.InvariantCulture, $"⟨{id}⟩")
        : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary (size {VocabularySize})");
}

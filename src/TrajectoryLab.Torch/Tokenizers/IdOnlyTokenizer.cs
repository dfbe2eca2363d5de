// The stand-in for a model that ships no tokenizer (a llama2.c .bin alone, a folder without tokenizer.json): it cannot
// encode text, so prompts and texts must be given as token ids, and it shows each id as ⟨id⟩ in reports and tables.
using System.Globalization;
using System.Text;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>Token ids without text: <see cref="Encode"/> refuses, <see cref="Decode"/> writes ⟨id⟩ per token.</summary>
/// <param name="vocabularySize">The model's vocabulary size.</param>
public sealed class IdOnlyTokenizer(int vocabularySize) : ITextTokenizer
{
    /// <inheritdoc/>
    public int VocabularySize { get; } =
        vocabularySize > 0 ? vocabularySize : throw new ArgumentOutOfRangeException(nameof(vocabularySize));

    /// <summary>Always null: without a tokenizer nothing says which id begins a sequence (ids are used as given).</summary>
    public int? BosId => null;

    /// <summary>Always null.</summary>
    public int? EosId => null;

    /// <inheritdoc/>
    /// <exception cref="InvalidOperationException">Always: there is no tokenizer to encode with.</exception>
    public int[] Encode(string text) =>
        throw new InvalidOperationException("this model has no tokenizer: give prompts and texts as token ids, or name a tokenizer");

    /// <inheritdoc/>
    public string Decode(ReadOnlySpan<int> ids)
    {
        var text = new StringBuilder();
        foreach (var id in ids)
            text.Append(TokenText(id));
        return text.ToString();
    }

    /// <inheritdoc/>
    public string TokenText(int id) =>
        (uint)id < (uint)VocabularySize
            ? string.Create(CultureInfo.InvariantCulture, $"⟨{id}⟩")
            : throw new ArgumentOutOfRangeException(nameof(id), id, $"token id outside the vocabulary (size {VocabularySize})");
}

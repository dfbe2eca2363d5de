// tokenizer.json's added_tokens: strings (special ones like "<s>" or "<|endoftext|>", and plain added words) that
// are cut out of the raw text before normalization and BPE and become their single ids, leftmost first, longest
// first at one position, as Hugging Face's AddedVocabulary does.
using System.Text.RegularExpressions;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>One entry of added_tokens.</summary>
/// <param name="Id">Its id.</param>
/// <param name="Content">Its text.</param>
/// <param name="Special">Whether it is a special (control) token.</param>
/// <param name="SingleWord">Match only when not inside a word.</param>
/// <param name="LeftStrip">Absorb the whitespace on its left.</param>
/// <param name="RightStrip">Absorb the whitespace on its right.</param>
internal sealed record AddedToken(
    int Id,
    string Content,
    bool Special,
    bool SingleWord = false,
    bool LeftStrip = false,
    bool RightStrip = false
);

/// <summary>A piece of the input: plain text, or one added token.</summary>
/// <param name="Start">Offset in the input.</param>
/// <param name="Length">Length in chars.</param>
/// <param name="AddedId">The added token's id, or -1 for plain text.</param>
internal readonly record struct TextSegment(int Start, int Length, int AddedId);

/// <summary>Cuts added tokens out of text.</summary>
internal sealed class AddedTokens
{
    private readonly Dictionary<string, AddedToken> _byContent;
    private readonly Regex? _pattern;

    /// <summary>Prepares matching of <paramref name="tokens"/> (contents must be non-empty and distinct).</summary>
    public AddedTokens(IReadOnlyList<AddedToken> tokens)
    {
        Tokens = tokens;
        _byContent = tokens.ToDictionary(t => t.Content, StringComparer.Ordinal);
        if (tokens.Count > 0)
        {
            var alternatives = tokens
                .Select(t => t.Content)
                .OrderByDescending(c => c.Length)
                .ThenBy(c => c, StringComparer.Ordinal)
                .Select(Regex.Escape);
            _pattern = new Regex(string.Join("|", alternatives), RegexOptions.CultureInvariant);
        }
    }

    /// <summary>The added tokens.</summary>
    public IReadOnlyList<AddedToken> Tokens { get; }

    /// <summary>Appends the segments of <paramref name="text"/> in order; plain segments are never empty.</summary>
    public void Split(string text, List<TextSegment> output)
    {
        var done = 0;
        var position = 0;
        while (_pattern is not null && position < text.Length)
        {
            var match = _pattern.Match(text, position);
            if (!match.Success)
                break;
            var token = _byContent[match.Value];
            var start = match.Index;
            var end = match.Index + match.Length;
            if (token.SingleWord && (IsWordChar(text, start - 1) || IsWordChar(text, end)))
            {
                position = match.Index + 1;
                continue;
            }
            if (token.LeftStrip)
                while (start > done && char.IsWhiteSpace(text[start - 1]))
                    start--;
            if (token.RightStrip)
                while (end < text.Length && char.IsWhiteSpace(text[end]))
                    end++;
            if (start > done)
                output.Add(new TextSegment(done, start - done, -1));
            output.Add(new TextSegment(start, end - start, token.Id));
            done = position = end;
        }
        if (done < text.Length)
            output.Add(new TextSegment(done, text.Length - done, -1));
    }

    private static bool IsWordChar(string text, int i) => i >= 0 && i < text.Length && (char.IsLetterOrDigit(text[i]) || text[i] == '_');
}

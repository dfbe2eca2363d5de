// Rebuilds readable text from the Brown corpus' tokens (Francis & Kučera 1964, revised 1979: "Brown Corpus Manual"):
// no space before , . ; : ! ? ) ] % n't 's 're ..., none after ( [, `` and '' become " on the right side of their word,
// and the bare ' quote alternates between opening and closing within a paragraph.
namespace TrajectoryLab.Core.Corpus;

/// <summary>Joins Brown tokens (tags already stripped) into text with ordinary punctuation spacing.</summary>
public sealed class BrownDetokenizer
{
    private static readonly HashSet<string> AttachLeft = new(StringComparer.Ordinal)
    {
        ",",
        ".",
        ";",
        ":",
        "!",
        "?",
        ")",
        "]",
        "}",
        "%",
        "''",
        "n't",
        "'s",
        "'re",
        "'ll",
        "'d",
        "'m",
        "'ve",
    };

    private static readonly HashSet<string> AttachRight = new(StringComparer.Ordinal) { "``", "(", "[", "{" };

    private bool _singleQuoteOpen;

    /// <summary>Starts a paragraph: an unmatched ' quote does not carry over from the previous one.</summary>
    public void NewParagraph() => _singleQuoteOpen = false;

    /// <summary>The readable text of one run of tokens (a sentence or a paragraph).</summary>
    /// <remarks>A token attaches to its left neighbour when it is closing punctuation, a clitic or a closing quote, and the
    /// next token attaches to it when it is an opening bracket or quote. `` → " (opening), '' → " (closing).</remarks>
    public string Join(IEnumerable<string> tokens)
    {
        ArgumentNullException.ThrowIfNull(tokens);
        var text = new System.Text.StringBuilder();
        var glueNext = true; // nothing before the first token
        foreach (var token in tokens)
        {
            bool left,
                right;
            if (token == "'")
            {
                (left, right) = _singleQuoteOpen ? (true, false) : (false, true);
                _singleQuoteOpen = !_singleQuoteOpen;
            }
            else
            {
                left = AttachLeft.Contains(token);
                right = AttachRight.Contains(token);
            }

            if (!glueNext && !left)
                text.Append(' ');
            text.Append(token is "``" or "''" ? "\"" : token);
            glueNext = right;
        }

        return text.ToString();
    }
}

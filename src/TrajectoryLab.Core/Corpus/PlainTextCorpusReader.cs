// Any UTF-8 text as a corpus: a folder of .txt files (each file one document, its category the sub-folder), or one
// file whose blank-line-separated blocks are the documents. Line endings are normalised to \n.
using System.Globalization;
using System.Text;

namespace TrajectoryLab.Core.Corpus;

/// <summary>Reads plain-text files into documents.</summary>
public static class PlainTextCorpusReader
{
    /// <summary>Reads <paramref name="path"/>: a folder (every *.txt below it, in ordinal order of relative path) or a file.</summary>
    /// <exception cref="CorpusException">The path does not exist, a file is not valid UTF-8, or no document has any text.</exception>
    public static TextCorpus Read(string path)
    {
        TextCorpus corpus;
        if (Directory.Exists(path))
        {
            var root = Path.GetFullPath(path);
            var documents = Directory
                .EnumerateFiles(root, "*.txt", SearchOption.AllDirectories)
                .Select(f => Path.GetRelativePath(root, f).Replace('\\', '/'))
                .Order(StringComparer.Ordinal)
                .Select(rel => new CorpusDocument(
                    rel,
                    Path.GetDirectoryName(rel)?.Replace('\\', '/') ?? "",
                    Paragraphs(ReadUtf8(Path.Combine(root, rel)))
                ))
                .Where(d => d.Paragraphs.Count > 0)
                .ToList();
            corpus = new TextCorpus(path, documents);
        }
        else if (File.Exists(path))
        {
            var name = Path.GetFileNameWithoutExtension(path);
            var documents = Paragraphs(ReadUtf8(path))
                .Select((block, i) => new CorpusDocument(string.Create(CultureInfo.InvariantCulture, $"{name}#{i + 1}"), "", [block]))
                .ToList();
            corpus = new TextCorpus(path, documents);
        }
        else
        {
            throw new CorpusException($"{path}: no such file or folder (expected a .txt file, a folder of .txt files, or 'brown')");
        }

        if (corpus.Documents.Count == 0)
            throw new CorpusException($"{path}: no text found (a folder needs *.txt files)");
        return corpus;
    }

    /// <summary>The blank-line-separated blocks of <paramref name="text"/>, trimmed, empty ones dropped.</summary>
    public static IReadOnlyList<string> Paragraphs(string text)
    {
        var blocks = new List<string>();
        var current = new List<string>();
        foreach (var line in text.Replace("\r\n", "\n", StringComparison.Ordinal).Split('\n'))
        {
            if (string.IsNullOrWhiteSpace(line))
            {
                Flush();
                continue;
            }

            current.Add(line.TrimEnd());
        }

        Flush();
        return blocks;

        void Flush()
        {
            if (current.Count > 0)
                blocks.Add(string.Join('\n', current).Trim());
            current.Clear();
        }
    }

    private static string ReadUtf8(string file)
    {
        try
        {
            return File.ReadAllText(file, new UTF8Encoding(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true));
        }
        catch (DecoderFallbackException e)
        {
            throw new CorpusException($"{file}: not valid UTF-8 ({e.Message})", e);
        }
    }
}

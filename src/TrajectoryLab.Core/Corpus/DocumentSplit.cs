// Deterministic train/validation split by document: a document's side depends only on its id and the seed
// (a SplitMix64 hash, Steele, Lea & Flood 2014), never on file order, so no document is ever in both.
using System.Globalization;

namespace TrajectoryLab.Core.Corpus;

/// <summary>A corpus split into training and validation documents (each list in the corpus' order).</summary>
/// <param name="Train">Documents to train on.</param>
/// <param name="Validation">Held-out documents.</param>
public sealed record DocumentSplit(IReadOnlyList<CorpusDocument> Train, IReadOnlyList<CorpusDocument> Validation)
{
    /// <summary>Puts the ⌊f·n⌉ documents with the smallest hash(seed, id) into validation, the rest into training.</summary>
    /// <param name="corpus">Documents with unique ids.</param>
    /// <param name="validationFraction">f in [0, 1). With at least two documents and f &gt; 0, each side gets at least one.</param>
    /// <param name="seed">Seed of the hash; the same seed and ids give the same split.</param>
    /// <exception cref="ArgumentException">Two documents share an id.</exception>
    public static DocumentSplit ByDocument(TextCorpus corpus, double validationFraction, int seed)
    {
        ArgumentNullException.ThrowIfNull(corpus);
        if (!(validationFraction >= 0 && validationFraction < 1))
            throw new ArgumentOutOfRangeException(nameof(validationFraction), validationFraction, "must be in [0, 1)");
        var docs = corpus.Documents;
        var duplicate = docs.GroupBy(d => d.Id, StringComparer.Ordinal).FirstOrDefault(g => g.Count() > 1);
        if (duplicate is not null)
            throw new ArgumentException($"{corpus.Name}: document id '{duplicate.Key}' occurs twice", nameof(corpus));

        var count = (int)Math.Round(validationFraction * docs.Count, MidpointRounding.AwayFromZero);
        if (validationFraction > 0 && docs.Count >= 2)
            count = Math.Clamp(count, 1, docs.Count - 1);
        var held = docs.OrderBy(d => Hash(seed, d.Id))
            .ThenBy(d => d.Id, StringComparer.Ordinal)
            .Take(count)
            .Select(d => d.Id)
            .ToHashSet(StringComparer.Ordinal);
        return new DocumentSplit(docs.Where(d => !held.Contains(d.Id)).ToList(), docs.Where(d => held.Contains(d.Id)).ToList());
    }

    /// <summary>SplitMix64 finaliser of seed ⊕ FNV-1a(id): stable across runtimes and platforms.</summary>
    internal static ulong Hash(int seed, string id)
    {
        var h = 14695981039346656037UL; // FNV-1a offset basis
        foreach (var c in id)
        {
            h = (h ^ c) * 1099511628211UL;
        }

        var z = h ^ (ulong)(uint)seed * 0x9E3779B97F4A7C15UL;
        z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9UL;
        z = (z ^ (z >> 27)) * 0x94D049BB133111EBUL;
        return z ^ (z >> 31);
    }

    /// <summary>One line: the document counts of both sides.</summary>
    public override string ToString() =>
        string.Create(CultureInfo.InvariantCulture, $"{Train.Count} training / {Validation.Count} validation documents");
}

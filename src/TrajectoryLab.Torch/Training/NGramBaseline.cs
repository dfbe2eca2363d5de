// Unigram and bigram language models with add-k (Lidstone) smoothing on the training ids: the baselines a trained
// model's validation perplexity must beat. Reference: Jurafsky & Martin, "Speech and Language Processing", §3.5.
namespace TrajectoryLab.Torch.Training;

/// <summary>Add-k smoothed unigram and bigram probabilities over a vocabulary of V ids.</summary>
/// <remarks>P₁(w) = (c(w) + k) / (N + kV); P₂(w | u) = (c(u w) + k) / (c(u ·) + kV), with c(u ·) the number of bigrams
/// starting with u. Perplexity over targets y_i with previous ids x_i is exp(−(1/n) Σ ln P(y_i | x_i)).</remarks>
public sealed class NGramBaseline
{
    private readonly long[] _unigram; // [V]
    private readonly Dictionary<long, long> _bigram; // key u · V + w
    private readonly long[] _context; // [V] bigrams starting with u
    private readonly long _total;
    private readonly int _vocab;

    /// <summary>Counts the unigrams and bigrams of <paramref name="train"/>.</summary>
    public NGramBaseline(int[] train, int vocabSize, double addK)
    {
        ArgumentNullException.ThrowIfNull(train);
        if (!(addK > 0))
            throw new ArgumentOutOfRangeException(nameof(addK), addK, "add-k smoothing needs k > 0");
        (_vocab, AddK) = (vocabSize, addK);
        (_unigram, _context, _bigram) = (new long[vocabSize], new long[vocabSize], []);
        for (var i = 0; i < train.Length; i++)
        {
            _unigram[train[i]]++;
            if (i == 0)
                continue;
            _context[train[i - 1]]++;
            var key = (long)train[i - 1] * vocabSize + train[i];
            _bigram[key] = _bigram.GetValueOrDefault(key) + 1;
        }

        _total = train.Length;
    }

    /// <summary>The smoothing constant k.</summary>
    public double AddK { get; }

    /// <summary>ln P₁(w).</summary>
    public double UnigramLogProb(long w) => Math.Log((_unigram[w] + AddK) / (_total + AddK * _vocab));

    /// <summary>ln P₂(w | u).</summary>
    public double BigramLogProb(long u, long w) =>
        Math.Log((_bigram.GetValueOrDefault(u * _vocab + w) + AddK) / (_context[u] + AddK * _vocab));

    /// <summary>Writes P₁(w) for every w into <paramref name="probabilities"/> ([V]).</summary>
    public void UnigramProbabilities(Span<double> probabilities)
    {
        var denominator = _total + AddK * _vocab;
        for (var w = 0; w < _vocab; w++)
            probabilities[w] = (_unigram[w] + AddK) / denominator;
    }

    /// <summary>Writes P₂(w | <paramref name="u"/>) for every w into <paramref name="probabilities"/> ([V]): k/(c(u ·) + kV)
    /// everywhere, then (c(u w) + k)/(c(u ·) + kV) at the successors of u seen in training (the values BigramLogProb
    /// exponentiates, computed in the same way).</summary>
    public void BigramProbabilities(long u, Span<double> probabilities)
    {
        var denominator = _context[u] + AddK * _vocab;
        probabilities[.._vocab].Fill((0 + AddK) / denominator);
        _successors ??= Successors();
        if (_successors.TryGetValue(u, out var seen))
            foreach (var (w, count) in seen)
                probabilities[w] = (count + AddK) / denominator;
    }

    private Dictionary<long, List<(int W, long Count)>>? _successors; // u → its successors in training, built on first use

    private Dictionary<long, List<(int, long)>> Successors()
    {
        var successors = new Dictionary<long, List<(int, long)>>();
        foreach (var (key, count) in _bigram)
        {
            var u = key / _vocab;
            if (!successors.TryGetValue(u, out var list))
                successors[u] = list = [];
            list.Add(((int)(key % _vocab), count));
        }
        return successors;
    }

    /// <summary>Unigram and bigram perplexity of <paramref name="targets"/> given the previous ids <paramref name="inputs"/> (same
    /// length).</summary>
    public (double Unigram, double Bigram) Perplexity(ReadOnlySpan<long> inputs, ReadOnlySpan<long> targets)
    {
        if (inputs.Length != targets.Length || inputs.IsEmpty)
            throw new ArgumentException($"need equally many inputs and targets, got {inputs.Length} and {targets.Length}", nameof(targets));
        double uni = 0,
            bi = 0;
        for (var i = 0; i < targets.Length; i++)
        {
            uni += UnigramLogProb(targets[i]);
            bi += BigramLogProb(inputs[i], targets[i]);
        }

        return (Math.Exp(-uni / targets.Length), Math.Exp(-bi / targets.Length));
    }
}

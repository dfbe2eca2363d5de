// The predictors an arithmetic coder can code text with: a language model (next-token softmax, float32, one token per
// pass through its cache, libtorch pinned to one thread) and the add-k unigram and bigram baselines. Each turns "the
// token just read" into the integer frequency table of the next token (FrequencyQuantizer, T = 2^24), the same table
// for the encoder and the decoder. Reference: Delétang et al. 2024, "Language Modeling Is Compression" (ICLR).
using TrajectoryLab.Core.Coding;
using TrajectoryLab.Torch.Bench;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Training;

namespace TrajectoryLab.Experiments.CodeLength;

/// <summary>A next-token predictor used as a coder's model.</summary>
public interface ICodingModel : IDisposable
{
    /// <summary>Its name in reports, e.g. "brown-small" or "bigram (add-k)".</summary>
    string Name { get; }

    /// <summary>Token ids it predicts over.</summary>
    int Vocabulary { get; }

    /// <summary>Tokens coded per context: after that many the context restarts from the start token.</summary>
    int Block { get; }

    /// <summary>Starts a fresh context.</summary>
    void Reset();

    /// <summary>Reads <paramref name="token"/> and writes the next token's frequency table (total
    /// <see cref="FrequencyQuantizer.DefaultTotal"/>) into <paramref name="frequencies"/> ([V]).</summary>
    void Next(int token, Span<int> frequencies);
}

/// <summary>A language model as a coder: p = softmax(logits) in float32 on the CPU, quantised.</summary>
/// <remarks>libtorch runs on <see cref="Threads"/> thread(s) while this lives: a matrix product's rounding can depend on how
/// libtorch splits it over threads, and the decoder must see the encoder's floats bit for bit.</remarks>
public sealed class LanguageModelCoding : ICodingModel
{
    /// <summary>libtorch intra-op threads while coding.</summary>
    public const int Threads = 1;

    private readonly LibTorchThreads _threads;
    private readonly NextTokenPredictor _predictor;

    /// <summary>Codes with <paramref name="model"/>; contexts of its context length (1024 for a model without one), one of
    /// which is the start token.</summary>
    public LanguageModelCoding(string name, LanguageModel model)
    {
        ArgumentNullException.ThrowIfNull(model);
        Name = name;
        Vocabulary = model.Spec.VocabSize;
        var capacity = model.Spec.Block.Mamba is null && model.Spec.MaxPositionEmbeddings > 1 ? model.Spec.MaxPositionEmbeddings : 1024;
        Block = capacity - 1;
        _threads = LibTorchThreads.Use(Threads);
        _predictor = model.StartPredictor(capacity);
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Vocabulary { get; }

    /// <inheritdoc/>
    public int Block { get; }

    /// <inheritdoc/>
    public void Reset() => _predictor.Reset();

    /// <inheritdoc/>
    public void Next(int token, Span<int> frequencies) =>
        FrequencyQuantizer.Quantize(_predictor.Read(token), FrequencyQuantizer.DefaultTotal, frequencies);

    /// <summary>Frees the cache and restores libtorch's thread count.</summary>
    public void Dispose()
    {
        _predictor.Dispose();
        _threads.Dispose();
    }
}

/// <summary>The add-k unigram or bigram baseline as a coder (no context limit).</summary>
public sealed class NGramCoding : ICodingModel
{
    private readonly NGramBaseline _model;
    private readonly bool _bigram;
    private readonly double[] _p;
    private readonly int[]? _unigram; // the unigram table, quantised once

    /// <summary>Codes with the unigram (<paramref name="bigram"/> false) or bigram probabilities of <paramref name="model"/>.</summary>
    public NGramCoding(NGramBaseline model, int vocabulary, bool bigram)
    {
        _model = model ?? throw new ArgumentNullException(nameof(model));
        (_bigram, Vocabulary) = (bigram, vocabulary);
        Name = string.Create(
            System.Globalization.CultureInfo.InvariantCulture,
            $"{(bigram ? "bigram" : "unigram")} (add-{model.AddK:0.###})"
        );
        _p = new double[vocabulary];
        if (!bigram)
        {
            model.UnigramProbabilities(_p);
            _unigram = FrequencyQuantizer.Quantize(_p);
        }
    }

    /// <inheritdoc/>
    public string Name { get; }

    /// <inheritdoc/>
    public int Vocabulary { get; }

    /// <inheritdoc/>
    public int Block => int.MaxValue;

    /// <inheritdoc/>
    public void Reset() { }

    /// <inheritdoc/>
    public void Next(int token, Span<int> frequencies)
    {
        if (_unigram is not null)
        {
            _unigram.CopyTo(frequencies);
            return;
        }
        _model.BigramProbabilities(token, _p);
        FrequencyQuantizer.Quantize(_p, FrequencyQuantizer.DefaultTotal, frequencies);
    }

    /// <summary>Nothing to free.</summary>
    public void Dispose() { }
}

// A row-major batch of logit vectors, shape [positions, vocab], held in double precision.
// Models emit float32; float input is widened here so every metric computes in double.

namespace TrajectoryLab.Core.Metrics;

/// <summary>Logits for several positions: row t is the logit vector z_t over the vocabulary.</summary>
public sealed class LogitsBatch
{
    private readonly double[] _data; // [positions, vocab]

    /// <summary>Wraps a row-major buffer of length positions × <paramref name="vocabularySize"/> (not copied).</summary>
    /// <exception cref="ArgumentException">The buffer length is not a positive multiple of the vocabulary size.</exception>
    public LogitsBatch(double[] data, int vocabularySize)
    {
        ArgumentNullException.ThrowIfNull(data);
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        if (data.Length % vocabularySize != 0)
        {
            throw new ArgumentException($"Length {data.Length} is not a multiple of the vocabulary size {vocabularySize}.", nameof(data));
        }

        _data = data;
        VocabularySize = vocabularySize;
        Positions = data.Length / vocabularySize;
    }

    /// <summary>Widens a float32 row-major buffer [positions, vocab] to double.</summary>
    public static LogitsBatch FromFloats(ReadOnlySpan<float> data, int vocabularySize) => new(Widen(data), vocabularySize);

    /// <summary>Number of positions (rows).</summary>
    public int Positions { get; }

    /// <summary>Vocabulary size |V| (columns).</summary>
    public int VocabularySize { get; }

    /// <summary>The logit vector at <paramref name="position"/>, length <see cref="VocabularySize"/>.</summary>
    public ReadOnlySpan<double> Row(int position) => _data.AsSpan(position * VocabularySize, VocabularySize);

    /// <summary>float32 values as a new double array (exact: every float is a double).</summary>
    internal static double[] Widen(ReadOnlySpan<float> values)
    {
        var wide = new double[values.Length];
        for (var i = 0; i < values.Length; i++)
        {
            wide[i] = values[i];
        }

        return wide;
    }
}

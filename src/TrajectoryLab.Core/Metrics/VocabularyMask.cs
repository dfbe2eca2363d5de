// The set of tokens a distribution is restricted to: invalid and pad tokens are removed and the
// remaining probabilities renormalised (softmax over the allowed logits only).

namespace TrajectoryLab.Core.Metrics;

/// <summary>An immutable set of allowed token ids over a vocabulary of fixed size.</summary>
/// <remarks>
/// With mask M, p_k = exp(β z_k) / Σ_{j∈M} exp(β z_j) for k ∈ M and p_k = 0 otherwise; the entropy bound
/// becomes 0 ≤ H ≤ ln |M|.
/// </remarks>
public sealed class VocabularyMask
{
    private readonly bool[] _allowed; // [vocab]

    private VocabularyMask(bool[] allowed)
    {
        _allowed = allowed;
        AllowedCount = allowed.Count(a => a);
    }

    /// <summary>Vocabulary size |V|.</summary>
    public int VocabularySize => _allowed.Length;

    /// <summary>Number of allowed tokens |M|.</summary>
    public int AllowedCount { get; }

    /// <summary>Whether token <paramref name="token"/> is allowed.</summary>
    public bool IsAllowed(int token) => _allowed[token];

    /// <summary>A mask from one flag per token (true = allowed); the array is copied.</summary>
    public static VocabularyMask FromAllowed(ReadOnlySpan<bool> allowed) => new(allowed.ToArray());

    /// <summary>All tokens of a vocabulary of size <paramref name="vocabularySize"/> except <paramref name="excluded"/>.</summary>
    /// <exception cref="ArgumentOutOfRangeException">An excluded id is outside [0, vocabularySize).</exception>
    public static VocabularyMask Excluding(int vocabularySize, params int[] excluded)
    {
        ArgumentOutOfRangeException.ThrowIfNegativeOrZero(vocabularySize);
        var allowed = new bool[vocabularySize];
        Array.Fill(allowed, true);
        foreach (var id in excluded)
        {
            if ((uint)id >= (uint)vocabularySize)
            {
                throw new ArgumentOutOfRangeException(nameof(excluded), id, $"Token id must be in [0, {vocabularySize}).");
            }

            allowed[id] = false;
        }

        return new VocabularyMask(allowed);
    }

    internal void CheckSize(int vocabularySize, string argumentName)
    {
        if (vocabularySize != _allowed.Length)
        {
            throw new ArgumentException($"Mask covers {_allowed.Length} tokens but the distribution has {vocabularySize}.", argumentName);
        }
    }
}

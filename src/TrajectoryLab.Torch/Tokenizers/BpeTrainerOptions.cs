// Settings of the byte-level BPE trainer, with defaults for TrajectoryLab's own small tokenizer.
namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>What <see cref="ByteLevelBpeTrainer"/> learns.</summary>
public sealed record BpeTrainerOptions
{
    /// <summary>Target number of ids: 256 byte tokens + learned merges + special tokens. Default 4096.</summary>
    public int VocabularySize { get; init; } = 4096;

    /// <summary>Special tokens, given the last ids in this order; never learned from or split by BPE. Default
    /// <c>&lt;|endoftext|&gt;</c>.</summary>
    public IReadOnlyList<string> SpecialTokens { get; init; } = ["<|endoftext|>"];

    /// <summary>The special token that begins a sequence (GPT-2 uses <c>&lt;|endoftext|&gt;</c> for both), or null.</summary>
    public string? BosToken { get; init; } = "<|endoftext|>";

    /// <summary>The special token that ends a sequence, or null.</summary>
    public string? EosToken { get; init; } = "<|endoftext|>";

    /// <summary>A pair merges only if it occurs at least this often. Default 2 (a pair seen once teaches nothing).</summary>
    public int MinPairFrequency { get; init; } = 2;

    /// <summary>Throws when the options cannot work.</summary>
    /// <exception cref="ArgumentException">Describes the bad option.</exception>
    public void Validate()
    {
        if (SpecialTokens.Any(string.IsNullOrEmpty))
            throw new ArgumentException("a special token is empty", nameof(SpecialTokens));
        if (SpecialTokens.Distinct(StringComparer.Ordinal).Count() != SpecialTokens.Count)
            throw new ArgumentException("special tokens repeat", nameof(SpecialTokens));
        if (VocabularySize < 256 + SpecialTokens.Count)
            throw new ArgumentException(
                $"must be at least 256 + {SpecialTokens.Count} special tokens, found {VocabularySize}",
                nameof(VocabularySize)
            );
        if (BosToken is { } bos && !SpecialTokens.Contains(bos))
            throw new ArgumentException($"'{bos}' is not one of the special tokens", nameof(BosToken));
        if (EosToken is { } eos && !SpecialTokens.Contains(eos))
            throw new ArgumentException($"'{eos}' is not one of the special tokens", nameof(EosToken));
        if (MinPairFrequency < 1)
            throw new ArgumentException($"must be at least 1, found {MinPairFrequency}", nameof(MinPairFrequency));
    }
}

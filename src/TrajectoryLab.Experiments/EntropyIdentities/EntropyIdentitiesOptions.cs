// Options of entropy-identities: the random logit rows the identities are checked on and the temperatures of the H(T)
// curve.
using System.ComponentModel.DataAnnotations;

namespace TrajectoryLab.Experiments.EntropyIdentities;

/// <summary>Options of <c>entropy-identities</c>.</summary>
public sealed class EntropyIdentitiesOptions : ExperimentOptions, IValidatableObject
{
    /// <summary>Vocabulary size |V| of the random logit rows.</summary>
    [Range(1, 10_000_000)]
    public int Vocabulary { get; set; } = 32_000;

    /// <summary>Number of random logit rows the identities are checked on.</summary>
    [Range(2, 100_000)]
    public int Rows { get; set; } = 8;

    /// <summary>Standard deviation of the Gaussian logits.</summary>
    [Range(1e-6, 1e4)]
    public double LogitScale { get; set; } = 3;

    /// <summary>Lowest temperature of the H(T) curve.</summary>
    [Range(1e-4, 1e4)]
    public double TMin { get; set; } = 0.02;

    /// <summary>Highest temperature of the H(T) curve.</summary>
    [Range(1e-4, 1e4)]
    public double TMax { get; set; } = 50;

    /// <summary>Temperatures on the curve, log-spaced.</summary>
    [Range(2, 100_000)]
    public int TCount { get; set; } = 60;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (TMin >= TMax)
            yield return new ValidationResult($"tMin ({TMin}) must be below tMax ({TMax})", ["TMin"]);
    }
}

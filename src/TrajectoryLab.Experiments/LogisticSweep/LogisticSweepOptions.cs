// Options of logistic-sweep: the r grid, the transient, the iterates drawn and the iterations averaged per r.
using System.ComponentModel.DataAnnotations;

namespace TrajectoryLab.Experiments.LogisticSweep;

/// <summary>Options of the <c>logistic-sweep</c> experiment: bifurcation diagram and λ(r).</summary>
public sealed class LogisticSweepOptions : ExperimentOptions, IValidatableObject
{
    [Range(0.0, 4.0)]
    public double RMin { get; set; } = 2.5;

    [Range(0.0, 4.0)]
    public double RMax { get; set; } = 4.0;

    /// <summary>Number of r values, evenly spaced, ends included.</summary>
    [Range(2, 100_000)]
    public int RCount { get; set; } = 1500;

    /// <summary>Iterations discarded before recording, per r.</summary>
    [Range(0, 1_000_000)]
    public int Transient { get; set; } = 1000;

    /// <summary>Iterates drawn per r in the bifurcation diagram.</summary>
    [Range(1, 10_000)]
    public int Points { get; set; } = 200;

    /// <summary>Iterations over which λ(r) is averaged, per r.</summary>
    [Range(1, 10_000_000)]
    public int Steps { get; set; } = 5000;

    /// <summary>Initial x of every orbit.</summary>
    [Range(0.0, 1.0)]
    public double X0 { get; set; } = 0.4;

    /// <summary>Iterations between re-normalisations of the tangent (1-D QR); |f'| ≤ 4 keeps 10 steps far from overflow.</summary>
    [Range(1, 100)]
    public int QrInterval { get; set; } = 10;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (RMin >= RMax)
            yield return new ValidationResult($"rMin ({RMin}) must be below rMax ({RMax})", ["RMin"]);
    }
}

// Options of known-system-spectrum (henon-spectrum.json, lorenz-spectrum.json): the system, its parameters, and the
// settings of the QR spectrum and the two-trajectory estimate.
using System.ComponentModel.DataAnnotations;

namespace TrajectoryLab.Experiments.KnownSystems;

/// <summary>The systems whose Lyapunov exponents are known from the literature.</summary>
public enum KnownSystem
{
    Henon,
    Lorenz,
    Logistic,
}

/// <summary>Hénon map parameters (x, y) → (1 − a x² + y, b x).</summary>
public sealed class HenonOptions
{
    [Range(-10.0, 10.0)]
    public double A { get; set; } = 1.4;

    [Range(-10.0, 10.0)]
    public double B { get; set; } = 0.3;
}

/// <summary>Lorenz system parameters and the RK4 step.</summary>
public sealed class LorenzOptions
{
    [Range(1e-6, 1e3)]
    public double Sigma { get; set; } = 10;

    [Range(1e-6, 1e3)]
    public double Rho { get; set; } = 28;

    [Range(1e-6, 1e3)]
    public double Beta { get; set; } = 8.0 / 3.0;

    /// <summary>RK4 time step; the tangent equations are integrated with the same stages.</summary>
    [Range(1e-5, 0.1)]
    public double Dt { get; set; } = 0.01;
}

/// <summary>Logistic map parameter r of x → r x (1 − x).</summary>
public sealed class LogisticOptions
{
    [Range(0.0, 4.0)]
    public double R { get; set; } = 4;
}

/// <summary>Settings of the tangent + QR spectrum (see TrajectoryLab.Core.Lyapunov.LyapunovSpectrum).</summary>
public sealed class SpectrumSettings
{
    /// <summary>Steps before measuring (frame aligns with the Lyapunov vectors).</summary>
    [Range(0, 100_000_000)]
    public int Transient { get; set; } = 1000;

    /// <summary>Steps measured.</summary>
    [Range(1, 100_000_000)]
    public int Steps { get; set; } = 100_000;

    /// <summary>Steps between QR re-orthonormalisations.</summary>
    [Range(1, 10_000)]
    public int QrInterval { get; set; } = 1;

    /// <summary>Number of exponents k; 0 means all (the system's dimension).</summary>
    [Range(0, 64)]
    public int K { get; set; }
}

/// <summary>Settings of the two-trajectory (Benettin) estimate of λ1.</summary>
public sealed class TwoTrajectorySettings
{
    /// <summary>Initial separation relative to ||x||.</summary>
    [Range(1e-14, 1e-1)]
    public double Epsilon { get; set; } = 1e-8;

    /// <summary>Steps between renormalisations.</summary>
    [Range(1, 10_000)]
    public int RenormaliseEvery { get; set; } = 1;
}

/// <summary>Options of the <c>known-system-spectrum</c> experiment.</summary>
public sealed class KnownSystemSpectrumOptions : ExperimentOptions, IValidatableObject
{
    [Required]
    public KnownSystem System { get; set; } = KnownSystem.Henon;
    public HenonOptions Henon { get; set; } = new();
    public LorenzOptions Lorenz { get; set; } = new();
    public LogisticOptions Logistic { get; set; } = new();
    public SpectrumSettings Spectrum { get; set; } = new();
    public TwoTrajectorySettings TwoTrajectory { get; set; } = new();

    /// <summary>Window, in steps, of the finite-time exponents whose distribution is reported.</summary>
    [Range(1, 1_000_000)]
    public int FtleWindow { get; set; } = 50;

    /// <summary>Points of the attractor drawn in the phase portrait.</summary>
    [Range(0, 1_000_000)]
    public int PortraitPoints { get; set; } = 20_000;

    /// <summary>State dimension of <see cref="System"/>.</summary>
    public int Dimension => KnownSystemCatalogue.Create(this).Dimension;

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (Spectrum.K > Dimension)
            yield return new ValidationResult($"k = {Spectrum.K} exceeds the dimension {Dimension} of the {System} system", ["Spectrum:K"]);
    }
}

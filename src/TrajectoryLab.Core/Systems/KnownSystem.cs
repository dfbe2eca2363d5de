// What is known about a dynamical system whose exponents were published or can be derived: the literature exponents
// (with their source and the tolerance the tests and experiments accept), the exact volume rate Σλ where the Jacobian
// determinant is constant, and how to draw its attractor. Each system states its own facts, so the tests and the
// known-system experiments read them from one place.
// References: Sprott (2003), "Chaos and Time-Series Analysis", Appendix A (exponent table); Kaplan & Yorke (1979);
// Oseledets (1968) (linear maps).
using TrajectoryLab.Core.Dynamics;

namespace TrajectoryLab.Core.Systems;

/// <summary>Published or analytic exponents of a system at its current parameters.</summary>
/// <param name="Source">Where the values come from.</param>
/// <param name="Exponents">λ1 ≥ λ2 ≥ … per unit time (natural log).</param>
/// <param name="Tolerances">Accepted |measured − reference| per exponent, for the run lengths the tests and experiments use.</param>
/// <param name="KaplanYorke">The Kaplan–Yorke dimension, or NaN where not tabulated.</param>
public sealed record KnownExponents(string Source, double[] Exponents, double[] Tolerances, double KaplanYorke);

/// <summary>How to draw a system's orbit: two state coordinates, or (with <see cref="Y"/> = −1) the return map x_n → x_{n+1}.</summary>
/// <param name="Title">The figure's title.</param>
/// <param name="X">State coordinate on the horizontal axis.</param>
/// <param name="Y">State coordinate on the vertical axis, or −1 for the return map of coordinate <paramref name="X"/>.</param>
/// <param name="XTitle">Horizontal axis title.</param>
/// <param name="YTitle">Vertical axis title.</param>
public sealed record Projection(string Title, int X, int Y, string XTitle, string YTitle);

/// <summary>A dynamical system that carries its own reference facts.</summary>
public interface IKnownSystem : IDynamicalSystem
{
    /// <summary>One sentence naming the system and its parameters.</summary>
    string Description { get; }

    /// <summary>The literature exponents at these parameters, or null when none are known for them.</summary>
    KnownExponents? Literature { get; }

    /// <summary>Σλ exactly, per unit time, where ln|det J| is the same everywhere; otherwise NaN.</summary>
    double VolumeRate { get; }

    /// <summary>The default picture of the orbit.</summary>
    Projection Projection { get; }
}

// Least-squares line through a scaling region of a divergence curve: the slope is the exponent.
// Shared by the data-driven estimators (Rosenstein 1993; ensemble-averaged divergence).
using System.Globalization;
using MathNet.Numerics;

namespace TrajectoryLab.Core.Lyapunov;

/// <summary>A least-squares fit y ≈ Intercept + Slope·t over the curve points [Start, End] (inclusive).</summary>
/// <param name="Slope">Slope per unit time: the exponent estimate.</param>
/// <param name="Intercept">Value of the line at t = 0.</param>
/// <param name="RSquared">Coefficient of determination over the fitted points (1 = a perfect line).</param>
/// <param name="Start">First curve index fitted.</param>
/// <param name="End">Last curve index fitted.</param>
public sealed record LineFit(double Slope, double Intercept, double RSquared, int Start, int End)
{
    /// <summary>Fits points [start, end] of (time, curve); returns a NaN fit and a reason when a point there is not finite.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The range is not inside the curve or holds fewer than two points.</exception>
    internal static (LineFit Fit, string? Breakdown) Over(double[] time, double[] curve, int start, int end)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(start);
        ArgumentOutOfRangeException.ThrowIfLessThanOrEqual(end, start);
        ArgumentOutOfRangeException.ThrowIfGreaterThanOrEqual(end, curve.Length);
        var t = time[start..(end + 1)];
        var y = curve[start..(end + 1)];
        var bad = Array.FindIndex(y, v => !double.IsFinite(v));
        if (bad >= 0)
            return (
                new LineFit(double.NaN, double.NaN, double.NaN, start, end),
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"The curve is not finite at index {start + bad} of the fit region [{start}, {end}] (no pairs with positive distance)."
                )
            );
        var (intercept, slope) = Fit.Line(t, y);
        var r2 = GoodnessOfFit.RSquared(t.Select(v => intercept + slope * v), y);
        return (new LineFit(slope, intercept, r2, start, end), null);
    }
}

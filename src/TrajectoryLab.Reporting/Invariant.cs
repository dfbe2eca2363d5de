// Number formatting for everything this project writes: invariant culture always, whatever the current culture.
using System.Globalization;

namespace TrajectoryLab.Reporting;

/// <summary>Invariant number formatting and parsing.</summary>
public static class Invariant
{
    /// <summary>Shortest round-trip text ("R"): NaN, Infinity, -Infinity for the non-finite values.</summary>
    public static string RoundTrip(double v) =>
        v switch
        {
            double.NaN => "NaN",
            double.PositiveInfinity => "Infinity",
            double.NegativeInfinity => "-Infinity",
            _ => v.ToString("R", CultureInfo.InvariantCulture),
        };

    /// <summary>Human-readable text with <paramref name="digits"/> significant digits (default 6): NaN, ∞, −∞ for the non-finite
    /// values.</summary>
    public static string Display(double v, int digits = 6) =>
        v switch
        {
            double.NaN => "NaN",
            double.PositiveInfinity => "∞",
            double.NegativeInfinity => "−∞",
            _ => v.ToString("G" + digits.ToString(CultureInfo.InvariantCulture), CultureInfo.InvariantCulture),
        };

    /// <summary>Parses text written by <see cref="RoundTrip"/> (or any invariant float literal).</summary>
    /// <exception cref="FormatException">Not a number.</exception>
    public static double ParseDouble(string s) =>
        s switch
        {
            "NaN" => double.NaN,
            "Infinity" => double.PositiveInfinity,
            "-Infinity" => double.NegativeInfinity,
            _ => double.Parse(s, NumberStyles.Float, CultureInfo.InvariantCulture),
        };
}

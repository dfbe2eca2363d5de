// Small shared pieces of the dynamics experiments (butterfly, depth-dynamics): invariant number formatting, the palette,
// and the sentence that reads a bootstrap correlation. No science here; the references are those of the experiments:
// Lorenz (1963); Benettin et al. (1980); Aurell et al. (1997), J. Phys. A 30:1; Dong et al. (2021), arXiv:2103.03404.
using System.Globalization;
using TrajectoryLab.Core.Statistics;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>Formatting and colours shared by the dynamics experiments.</summary>
public static class DynamicsText
{
    /// <summary>Colours for up to eight series (matplotlib's tab10 start).</summary>
    public static readonly string[] Palette = ["#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#ff7f0e", "#8c564b", "#e377c2", "#17becf"];

    /// <summary><paramref name="value"/> with <paramref name="format"/> in the invariant culture ("NaN", "∞" as .NET writes them).</summary>
    /// <param name="value">The number.</param>
    /// <param name="format">A .NET numeric format. Default G4.</param>
    public static string F(double value, string format = "G4") => value.ToString(format, CultureInfo.InvariantCulture);

    /// <summary>An integer count in the invariant culture.</summary>
    /// <param name="value">The count.</param>
    public static string F(long value) => value.ToString(CultureInfo.InvariantCulture);

    /// <summary>"greedy" for temperature 0, else "T = 0.7".</summary>
    /// <param name="temperature">The sampling temperature.</param>
    public static string Temperature(double temperature) => temperature == 0 ? "greedy" : $"T = {F(temperature)}";

    /// <summary>"ρ = 0.31 (95% CI 0.25 … 0.36, N = 1234)", or the breakdown when the coefficient could not be measured.</summary>
    /// <param name="r">The correlation result.</param>
    public static string Correlation(BootstrapCorrelationResult r) => r.Succeeded
        ? string.Create(CultureInfo.InvariantCulture,
            $"ρ = {r.R:F3} ({r.Confidence * 100:G3}% bootstrap CI {r.Lower:F3} … {r.Upper:F3}, N = {r.N}{(r.Dropped > 0 ? $", {r.Dropped} non-finite pairs dropped" : "")})")
        : $"not measured: {r.Breakdown}" + (double.IsNaN(r.R) ? "" : $" (ρ = {F(r.R, "F3")})");

    /// <summary>A monospace table: a header row and rows of cells, columns padded to their widest cell.</summary>
    /// <param name="header">Column titles.</param>
    /// <param name="rows">Rows of cells, as many as <paramref name="header"/>.</param>
    public static string Table(IReadOnlyList<string> header, IEnumerable<IReadOnlyList<string>> rows)
    {
        var all = new List<IReadOnlyList<string>> { header };
        all.AddRange(rows);
        var width = Enumerable.Range(0, header.Count).Select(c => all.Max(r => r[c].Length)).ToArray();
        return string.Join("\n", all.Select((r, i) => string.Join("  ", r.Select((cell, c) => c == 0 ? cell.PadRight(width[c]) : cell.PadLeft(width[c]))).TrimEnd()
                                                      + (i == 0 ? "\n" + string.Join("  ", width.Select(w => new string('-', w))) : "")));
    }

    /// <summary>A file-name form of a model label ("random init" → "random-init").</summary>
    /// <param name="label">The model label.</param>
    public static string Slug(string label) => label.Replace(' ', '-');
}

// The words and numbers every report writes the same way: invariant number formatting, a decoding named by its
// temperature, the sentence that reads a bootstrap correlation, a label as a file name, the name of the state a
// generation map acts on (a key–value cache, or a Mamba's recurrent state). (Colours and text tables are
// Reporting's: SeriesColors, TextTable.)
using System.Globalization;
using TrajectoryLab.Core.Statistics;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>Formatting shared by the experiments' reports.</summary>
public static class ReportText
{
    /// <summary><paramref name="value"/> with <paramref name="format"/> in the invariant culture ("NaN", "∞" as .NET writes
    /// them).</summary>
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
    public static string Correlation(BootstrapCorrelationResult r) =>
        r.Succeeded
            ? string.Create(
                CultureInfo.InvariantCulture,
                $"ρ = {r.R:F3} ({r.Confidence * 100:G3}% bootstrap CI {r.Lower:F3} … {r.Upper:F3}, N = {r.N}"
                    + $"{(r.Dropped > 0 ? $", {r.Dropped} non-finite pairs dropped" : "")})"
            )
            : $"not measured: {r.Breakdown}" + (double.IsNaN(r.R) ? "" : $" (ρ = {F(r.R, "F3")})");

    /// <summary>The state of the generation map of a <paramref name="modelType"/> model, as a noun phrase: "key–value cache"
    /// for an attention model (it grows by a row per token), "recurrent state" for a Mamba (each block's convolution window
    /// and selective SSM state, of fixed size).</summary>
    /// <param name="modelType">config.json's model_type (<see cref="ModelFacts.Architecture"/>).</param>
    public static string GenerationState(string modelType) => modelType == "mamba" ? "recurrent state" : "key–value cache";

    /// <summary>A file-name form of a model label ("random init" → "random-init").</summary>
    /// <param name="label">The model label.</param>
    public static string Slug(string label) => label.Replace(' ', '-');
}

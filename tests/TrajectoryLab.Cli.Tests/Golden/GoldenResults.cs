// Golden results of every experiment's tiny configuration: the headline numbers and a checksum of every numeric column of
// every table a run writes, compared with the committed Golden/<experiment>.json. A change names each number that moved;
// a non-finite headline fails outright. Regenerate after a deliberate change with
//     TRAJECTORYLAB_WRITE_GOLDEN=1 dotnet test tests/TrajectoryLab.Cli.Tests -c Release --filter "Golden|EndToEnd"
// then review the diff of tests/TrajectoryLab.Cli.Tests/Golden/*.json and commit it.
// The instruction set changes some bits: libtorch and MKL dispatch their kernels (and System.Numerics.Tensors its sums) to
// AVX-512 or AVX2, and a few tiny configurations amplify the last bits past the tolerance (a Spearman ρ over a handful of
// points, a count of bfloat16 errors over a threshold, a chaotic orbit). A CPU without AVX-512 reads Golden/avx2/<experiment>.json
// where one is committed (written there by the same command on such a CPU), else the common file; docs/experiments.md.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TrajectoryLab.Reporting.Tables;

namespace TrajectoryLab.Cli.Tests.Golden;

/// <summary>Reads a run folder's numbers and compares them with its golden file.</summary>
public static class GoldenResults
{
    /// <summary>Relative tolerance of every number: the runs are deterministic on one machine; this absorbs another CPU's rounding.</summary>
    public const double Relative = 1e-4;

    /// <summary>Absolute floor of the tolerance, for numbers near zero.</summary>
    public const double Absolute = 1e-9;

    /// <summary>Column names of wall-clock measurements, which are not results.</summary>
    static readonly string[] Timing = ["seconds", "_ms", "ms_", "ms per", "wall", "per_second", "tok_s", "tok/s"];

    static string SourceFolder([System.Runtime.CompilerServices.CallerFilePath] string path = "") => Path.GetDirectoryName(path)!;

    /// <summary>The headline and table checksums of <paramref name="runFolder"/>.</summary>
    public static JsonObject Observe(string runFolder)
    {
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(runFolder, "manifest.json")))!;
        var headline = new JsonObject();
        foreach (var (name, value) in manifest["headline"]!.AsObject().OrderBy(p => p.Key, StringComparer.Ordinal))
            if (!Timing.Any(t => name.Contains(t, StringComparison.Ordinal))) headline[name] = value!.GetValueKind() == JsonValueKind.Number ? value.GetValue<double>() : value.ToString();
        var arrays = new JsonObject();
        foreach (var file in Directory.GetFiles(runFolder, "*.csv").Order(StringComparer.Ordinal))
        {
            var table = CsvTable.Read(file);
            foreach (var column in table.ColumnNames)
            {
                if (Timing.Any(t => column.Contains(t, StringComparison.Ordinal))) continue;
                var cells = table.Strings(column);
                var values = new List<double>();
                var numeric = cells.All(c => double.TryParse(c, NumberStyles.Float, CultureInfo.InvariantCulture, out _) || c is "NaN" or "Infinity" or "-Infinity");
                if (!numeric || cells.Count == 0) continue;
                foreach (var c in cells) values.Add(c switch { "NaN" => double.NaN, "Infinity" => double.PositiveInfinity, "-Infinity" => double.NegativeInfinity, _ => double.Parse(c, CultureInfo.InvariantCulture) });
                var finite = values.Where(double.IsFinite).ToArray();
                arrays[$"{Path.GetFileName(file)}:{column}"] = new JsonObject
                {
                    ["count"] = values.Count,
                    ["nonFinite"] = values.Count - finite.Length,
                    ["sum"] = finite.Sum(),
                    ["sumAbs"] = finite.Sum(Math.Abs),
                };
            }
        }
        return new JsonObject { ["headline"] = headline, ["arrays"] = arrays };
    }

    /// <summary>Compares <paramref name="runFolder"/> with <c>Golden/&lt;experiment&gt;.json</c> (or writes it, when
    /// TRAJECTORYLAB_WRITE_GOLDEN=1); fails naming every number that moved.</summary>
    public static void Check(string experiment, string runFolder)
    {
        var observed = Observe(runFolder);
        foreach (var (name, value) in observed["headline"]!.AsObject())
            if (value!.GetValueKind() == JsonValueKind.Number && !double.IsFinite(value.GetValue<double>()))
                Assert.Fail($"{experiment}: headline '{name}' is {value}");
        var common = Path.Combine(SourceFolder(), experiment + ".json");
        var own = InstructionSet is { } set ? Path.Combine(SourceFolder(), set, experiment + ".json") : null;
        if (Environment.GetEnvironmentVariable("TRAJECTORYLAB_WRITE_GOLDEN") == "1")
        {
            Write(observed, common, own);
            return;
        }
        var path = own is not null && File.Exists(own) ? own : common;
        Assert.True(File.Exists(path), $"no golden file {path}: run with TRAJECTORYLAB_WRITE_GOLDEN=1 once and commit it");
        var moved = Differences(JsonNode.Parse(File.ReadAllText(path))!, observed);
        Assert.True(moved.Count == 0, $"{experiment} moved from its golden result ({Relative:G} relative):\n" + string.Join("\n", moved));
    }

    /// <summary>Instruction-set folder of this CPU's golden files: null with AVX-512 (the common files), "avx2" without. The
    /// CPU's feature, not .NET's choice of vector width: libtorch and MKL dispatch on the feature.</summary>
    public static string? InstructionSet => System.Runtime.Intrinsics.X86.Avx512F.IsSupported ? null : "avx2";

    /// <summary>Writes the common golden file (on AVX-512), or this instruction set's own where its numbers differ from the
    /// common file beyond the tolerance (a stale own file that no longer differs is removed).</summary>
    internal static void Write(JsonObject observed, string common, string? own)
    {
        var text = observed.ToJsonString(new JsonSerializerOptions { WriteIndented = true, Encoder = System.Text.Encodings.Web.JavaScriptEncoder.UnsafeRelaxedJsonEscaping }) + "\n";
        if (own is null || !File.Exists(common))
        {
            File.WriteAllText(common, text);
            return;
        }
        if (Differences(JsonNode.Parse(File.ReadAllText(common))!, observed).Count == 0)
        {
            if (File.Exists(own))
                File.Delete(own); // a stale own file: the numbers agree with the common one again
            return;
        }
        Directory.CreateDirectory(Path.GetDirectoryName(own)!);
        File.WriteAllText(own, text);
    }

    /// <summary>Every headline and table checksum of <paramref name="observed"/> that differs from <paramref name="golden"/>
    /// beyond the tolerance, appeared or disappeared, one line each.</summary>
    public static IReadOnlyList<string> Differences(JsonNode golden, JsonObject observed)
    {
        var moved = new List<string>();
        Compare(golden["headline"]!.AsObject(), observed["headline"]!.AsObject(), "headline", moved, (g, o) => Moved(g, o));
        Compare(golden["arrays"]!.AsObject(), observed["arrays"]!.AsObject(), "table column", moved, (g, o) =>
        {
            if (g["count"]!.GetValue<int>() != o["count"]!.GetValue<int>()) return $"{g["count"]} rows, now {o["count"]}";
            if (g["nonFinite"]!.GetValue<int>() != o["nonFinite"]!.GetValue<int>()) return $"{g["nonFinite"]} non-finite values, now {o["nonFinite"]}";
            double gs = g["sum"]!.GetValue<double>(), os = o["sum"]!.GetValue<double>(), scale = g["sumAbs"]!.GetValue<double>();
            return Math.Abs(os - gs) <= Relative * scale + Absolute ? null : string.Create(CultureInfo.InvariantCulture, $"sum {gs:R}, now {os:R}");
        });
        return moved;
    }

    static string? Moved(JsonNode golden, JsonNode observed)
    {
        if (golden.GetValueKind() != JsonValueKind.Number || observed.GetValueKind() != JsonValueKind.Number)
            return golden.ToString() == observed.ToString() ? null : $"'{golden}', now '{observed}'";
        double g = golden.GetValue<double>(), o = observed.GetValue<double>();
        return Math.Abs(o - g) <= Relative * Math.Abs(g) + Absolute ? null : string.Create(CultureInfo.InvariantCulture, $"{g:R}, now {o:R}");
    }

    static void Compare(JsonObject golden, JsonObject observed, string what, List<string> moved, Func<JsonNode, JsonNode, string?> differ)
    {
        foreach (var (name, g) in golden)
            if (!observed.TryGetPropertyValue(name, out var o)) moved.Add($"  {what} '{name}': gone");
            else if (differ(g!, o!) is { } change) moved.Add($"  {what} '{name}': {change}");
        foreach (var (name, _) in observed)
            if (!golden.ContainsKey(name)) moved.Add($"  {what} '{name}': new");
    }
}

// What results/index.html shows for one run folder, read tolerantly from its manifest.json.
using System.Globalization;
using System.Text.Json;

namespace TrajectoryLab.Reporting.Index;

/// <summary>One run folder <c>results/{experiment}/{timestamp}/</c> as listed in the index.</summary>
/// <param name="RelativePath">Folder relative to the results root, '/'-separated (e.g. <c>henon/20250101T120000Z</c>).</param>
/// <param name="Experiment">Manifest "experiment", else the parent folder name.</param>
/// <param name="StartedUtc">Manifest "startedUtc" as written, else the folder name.</param>
/// <param name="Status">Manifest "status", or null.</param>
/// <param name="WallSeconds">Manifest "wallSeconds", or null.</param>
/// <param name="Headline">Manifest "headline" entries as display text (numbers invariant, 6 significant digits).</param>
/// <param name="HasReport">Whether <c>report.html</c> exists in the folder.</param>
/// <param name="Error">Why the manifest could not be read (missing, not JSON, not an object), or null when it was.</param>
public sealed record RunSummary(
    string RelativePath,
    string Experiment,
    string StartedUtc,
    string? Status,
    double? WallSeconds,
    IReadOnlyDictionary<string, string> Headline,
    bool HasReport,
    string? Error
)
{
    /// <summary>Reads the run folder <paramref name="runFolder"/> under <paramref name="root"/>; never throws for bad manifests.</summary>
    public static RunSummary Read(string root, string runFolder)
    {
        var relative = Path.GetRelativePath(root, runFolder).Replace('\\', '/');
        var experiment = Path.GetFileName(Path.GetDirectoryName(runFolder)) ?? "";
        var started = Path.GetFileName(runFolder);
        var hasReport = File.Exists(Path.Combine(runFolder, "report.html"));
        var empty = new Dictionary<string, string>();
        var manifest = Path.Combine(runFolder, "manifest.json");
        if (!File.Exists(manifest))
            return new(relative, experiment, started, null, null, empty, hasReport, "no manifest.json");
        try
        {
            using var doc = JsonDocument.Parse(File.ReadAllBytes(manifest));
            var m = doc.RootElement;
            if (m.ValueKind != JsonValueKind.Object)
                return new(relative, experiment, started, null, null, empty, hasReport, $"manifest.json is a {m.ValueKind}, not an object");
            return new(
                relative,
                Text(m, "experiment") ?? experiment,
                Text(m, "startedUtc") ?? started,
                Text(m, "status"),
                Number(m, "wallSeconds"),
                HeadlineOf(m),
                hasReport,
                null
            );
        }
        catch (Exception e) when (e is JsonException or IOException or UnauthorizedAccessException)
        {
            return new(relative, experiment, started, null, null, empty, hasReport, "manifest.json unreadable: " + e.Message);
        }
    }

    private static string? Text(JsonElement m, string name) =>
        m.TryGetProperty(name, out var v)
            ? v.ValueKind switch
            {
                JsonValueKind.String => v.GetString(),
                JsonValueKind.Number => Invariant.Display(v.GetDouble()),
                JsonValueKind.True or JsonValueKind.False => v.GetRawText(),
                _ => null,
            }
            : null;

    private static double? Number(JsonElement m, string name) =>
        !m.TryGetProperty(name, out var v) ? null
        : v.ValueKind == JsonValueKind.Number ? v.GetDouble()
        : v.ValueKind == JsonValueKind.String && double.TryParse(v.GetString(), NumberStyles.Float, CultureInfo.InvariantCulture, out var d)
            ? d
        : null;

    private static Dictionary<string, string> HeadlineOf(JsonElement m) =>
        m.TryGetProperty("headline", out var h) && h.ValueKind == JsonValueKind.Object
            ? h.EnumerateObject()
                .Select(p => (p.Name, Value: Text(h, p.Name)))
                .Where(p => p.Value is not null)
                .ToDictionary(p => p.Name, p => p.Value!)
            : [];
}

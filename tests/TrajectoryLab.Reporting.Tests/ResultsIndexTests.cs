// results/index.html lists good runs with headline numbers and lists broken ones instead of crashing.
using TrajectoryLab.Reporting.Index;

namespace TrajectoryLab.Reporting.Tests;

public sealed class ResultsIndexTests
{
    [Fact]
    public void Index_lists_runs_and_tolerates_corrupt_missing_and_partial_manifests()
    {
        using var root = new TempFolder();
        Run(root, "henon/20250101T120000Z", """{"experiment":"henon","startedUtc":"2025-01-01T12:00:00Z","status":"ok","wallSeconds":12.5,"headline":{"lambda_1":0.41831234,"note":"<b>"}}""", report: true);
        Run(root, "henon/20250102T120000Z", """{"experiment":"henon","status":"failed"}""", report: false);
        Run(root, "lorenz/20250101T000000Z", """{"experiment": "lorenz", "status": """, report: true);
        Run(root, "lorenz/20250103T000000Z", "[1,2]", report: false);
        Directory.CreateDirectory(root["lorenz/20250104T000000Z"]);
        File.WriteAllText(root["README.md"], "not a run");

        var runs = ResultsIndex.Write(root.Path);
        var html = File.ReadAllText(root["index.html"]);

        Assert.Equal(5, runs.Count);
        Assert.Equal(3, runs.Count(r => r.Error is not null));
        var first = runs.Single(r => r.RelativePath == "henon/20250101T120000Z");
        Assert.Equal((12.5, "0.418312"), (first.WallSeconds!.Value, first.Headline["lambda_1"]));
        Assert.Equal("20250102T120000Z", runs.Single(r => r.Status == "failed").StartedUtc);
        Assert.Contains("<a href=\"henon/20250101T120000Z/report.html\">report</a>", html);
        Assert.Contains("<td class=\"num\">12.5 s</td>", html);
        Assert.Contains("&lt;b&gt;", html);
        Assert.Contains("Unreadable runs", html);
        Assert.Contains("lorenz/20250101T000000Z", html);
        Assert.Contains("no manifest.json", html);
        Assert.Contains("not an object", html);
        Assert.True(html.IndexOf("20250102T120000Z", StringComparison.Ordinal) < html.IndexOf("2025-01-01T12:00:00Z", StringComparison.Ordinal), "newest first");
    }

    [Fact]
    public void A_missing_results_root_gives_an_empty_list()
    {
        Assert.Empty(ResultsIndex.Scan(Path.Combine(Path.GetTempPath(), "no-such-results-" + Guid.NewGuid().ToString("N"))));
    }

    private static void Run(TempFolder root, string relative, string manifest, bool report)
    {
        Directory.CreateDirectory(root[relative]);
        File.WriteAllText(Path.Combine(root[relative], "manifest.json"), manifest);
        if (report) File.WriteAllText(Path.Combine(root[relative], "report.html"), "<html></html>");
    }
}

// results/index.html: every run folder results/<experiment>/<timestamp>/ grouped by experiment, newest first,
// with status, wall time, headline numbers and a link to its report; unreadable manifests are listed, not fatal.
using System.Text;
using TrajectoryLab.Core.IO;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Reporting.Index;

/// <summary>Scans a results root and writes its index page.</summary>
public static class ResultsIndex
{
    /// <summary>Every second-level folder of <paramref name="resultsRoot"/> (a run folder), sorted by experiment, then newest
    /// first by timestamp folder name; an absent root gives an empty list.</summary>
    public static IReadOnlyList<RunSummary> Scan(string resultsRoot) =>
        !Directory.Exists(resultsRoot)
            ? []
            : Directory
                .EnumerateDirectories(resultsRoot)
                .SelectMany(Directory.EnumerateDirectories)
                .Select(run => RunSummary.Read(resultsRoot, run))
                .OrderBy(r => r.Experiment, StringComparer.Ordinal)
                // then by the UTC timestamp folder
                .ThenByDescending(r => r.RelativePath[(r.RelativePath.LastIndexOf('/') + 1)..], StringComparer.Ordinal)
                .ToArray();

    /// <summary>Scans <paramref name="resultsRoot"/> and writes <c>index.html</c> there atomically.</summary>
    /// <returns>The runs listed.</returns>
    public static IReadOnlyList<RunSummary> Write(string resultsRoot)
    {
        var runs = Scan(resultsRoot);
        AtomicFile.WriteAllText(Path.Combine(resultsRoot, "index.html"), Render(runs));
        return runs;
    }

    /// <summary>The index page for <paramref name="runs"/> (links are relative to the results root).</summary>
    public static string Render(IReadOnlyList<RunSummary> runs)
    {
        var h = new StringBuilder("<h1>TrajectoryLab results</h1>\n");
        var readable = runs.Where(r => r.Error is null).ToArray();
        h.Append("<p class=\"lead\">")
            .Append(readable.Length)
            .Append(" runs in ")
            .Append(readable.Select(r => r.Experiment).Distinct().Count())
            .Append(" experiments.</p>\n");
        foreach (var group in readable.GroupBy(r => r.Experiment))
        {
            var keys = group.SelectMany(r => r.Headline.Keys).Distinct().ToArray();
            h.Append("<h2>")
                .Append(Html.Encode(group.Key))
                .Append("</h2>\n<table>\n<tr><th>started (UTC)</th><th>status</th><th>wall</th>")
                .AppendJoin("", keys.Select(k => $"<th>{Html.Encode(k)}</th>"))
                .Append("<th>report</th></tr>\n");
            foreach (var r in group)
            {
                h.Append("<tr><td>")
                    .Append(Html.Encode(r.StartedUtc))
                    .Append("</td><td>")
                    .Append(Html.Encode(r.Status ?? "?"))
                    .Append("</td><td class=\"num\">")
                    .Append(r.WallSeconds is { } s ? Html.Encode(Invariant.Display(s, 4) + " s") : "")
                    .Append("</td>")
                    .AppendJoin("", keys.Select(k => $"<td class=\"num\">{Html.Encode(r.Headline.GetValueOrDefault(k, ""))}</td>"))
                    .Append("<td>")
                    .Append(Link(r))
                    .Append("</td></tr>\n");
            }
            h.Append("</table>\n");
        }
        var broken = runs.Where(r => r.Error is not null).ToArray();
        if (broken.Length > 0)
        {
            h.Append("<h2>Unreadable runs</h2>\n<table>\n<tr><th>folder</th><th>problem</th><th>report</th></tr>\n");
            foreach (var r in broken)
                h.Append("<tr><td>")
                    .Append(Html.Encode(r.RelativePath))
                    .Append("</td><td>")
                    .Append(Html.Encode(r.Error))
                    .Append("</td><td>")
                    .Append(Link(r))
                    .Append("</td></tr>\n");
            h.Append("</table>\n");
        }
        return Html.Page("TrajectoryLab results", h.ToString());
    }

    private static string Link(RunSummary r) =>
        r.HasReport
            ? $"<a href=\"{Html.Encode(string.Join('/', r.RelativePath.Split('/').Select(Uri.EscapeDataString)))}/report.html\">report</a>"
            : "";
}

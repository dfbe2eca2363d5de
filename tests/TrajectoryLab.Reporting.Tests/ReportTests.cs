// report.md snapshot under the invariant and the German culture (numbers must not change), HTML escaping,
// self-contained HTML, re-rendering a run folder, and no temporary files left behind.
using System.Globalization;
using TrajectoryLab.Reporting.Rendering;
using TrajectoryLab.Reporting.Reports;
using TrajectoryLab.Reporting.Tables;

namespace TrajectoryLab.Reporting.Tests;

public sealed class ReportTests
{
    private const string ExpectedMarkdown = """
        # Henon map <check>

        Lyapunov spectrum of the Henon map & friends.

        ## Headline

        Spectrum by QR; 10^5 steps.

        **Numbers**

        | quantity | value |
        |---|---:|
        | lambda_1 | 0.418312 |
        | steps | 100000 |
        | wall | 1.5 s |
        | a\|b | x |

        | quantity | measured | reference | tolerance | pass |
        |---|---:|---:|---:|:---:|
        | lambda_1 | 0.4182 | 0.4183 | 0.001 | pass |
        | lambda_2 | NaN | -1.6242 | 0.01 | FAIL |

        ## Figures and text

        ![Convergence of the spectrum](convergence.png)

        *Convergence of the spectrum*

        ```text
        a = 1.4
        b = 0.3
        ```

        Tokens (coloured by entropy (nats) in report.html):

        ```text
        The <cat> sat
        ```

        """;

    [Theory]
    [InlineData("")]
    [InlineData("de-DE")]
    public void Markdown_matches_the_snapshot_in_any_culture(string culture)
    {
        var saved = CultureInfo.CurrentCulture;
        try
        {
            CultureInfo.CurrentCulture = CultureInfo.GetCultureInfo(culture);
            Assert.Equal(ExpectedMarkdown.ReplaceLineEndings("\n"), MarkdownReport.Render(Samples.Report()));
            Assert.Equal("1.5", new CsvTable().Add("v", [1.5]).Strings("v")[0]);
        }
        finally
        {
            CultureInfo.CurrentCulture = saved;
        }
    }

    [Fact]
    public void Html_escapes_text_and_embeds_figures_without_external_resources()
    {
        using var dir = new TempFolder();
        FigureRenderer.Render(Samples.Convergence(), dir.Path);
        var html = HtmlReport.Render(Samples.Report(), dir.Path);
        Assert.Contains("<h1>Henon map &lt;check&gt;</h1>", html);
        Assert.Contains("Henon map &amp; friends", html);
        Assert.Contains("> &lt;cat&gt;</span>", html);
        Assert.Contains("style=\"background:rgba(230,85,13,0.85)\"", html);
        Assert.Contains("src=\"data:image/svg+xml;base64,", html);
        Assert.Contains("<td class=\"fail\">FAIL</td>", html);
        Assert.DoesNotContain("http://", html.Replace("http://www.w3.org", ""));
        Assert.DoesNotContain("<cat>", html);
    }

    [Fact]
    public void A_missing_figure_is_reported_in_the_page()
    {
        using var dir = new TempFolder();
        Assert.Contains("figure convergence was not rendered", HtmlReport.Render(Samples.Report(), dir.Path));
    }

    [Fact]
    public void Rerender_restores_images_and_views_from_saved_json_and_leaves_no_temp_files()
    {
        using var dir = new TempFolder();
        FigureRenderer.Render(Samples.Convergence(), dir.Path);
        ReportWriter.Write(Samples.Report(), dir.Path);
        new CsvTable().Add("x", [1.0]).Write(dir["metrics.csv"]);
        var before = File.ReadAllText(dir["report.md"]);
        foreach (var name in new[] { "convergence.svg", "convergence.png", "report.md", "report.html" }) File.Delete(dir[name]);

        var (figures, report) = RunRenderer.Rerender(dir.Path);

        Assert.Equal(["convergence"], figures);
        Assert.True(report);
        Assert.Equal(before, File.ReadAllText(dir["report.md"]));
        Assert.True(new FileInfo(dir["convergence.png"]).Length > 1000);
        Assert.Contains("base64", File.ReadAllText(dir["report.html"]));
        Assert.Empty(Directory.EnumerateFiles(dir.Path, "*.tmp", SearchOption.AllDirectories));
        Assert.Empty(Directory.EnumerateFiles(dir.Path, ".*"));
    }

    [Fact]
    public void Report_json_round_trips()
    {
        using var dir = new TempFolder();
        ReportWriter.Write(Samples.Report(), dir.Path);
        var back = ReportingJson.Load<Report>(dir[ReportWriter.JsonName]);
        Assert.Equal(MarkdownReport.Render(Samples.Report()), MarkdownReport.Render(back));
    }
}

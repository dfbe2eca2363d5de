// Shared HTML pieces for report.html and results/index.html: escaping and one small stylesheet, no external resources.
using System.Net;

namespace TrajectoryLab.Reporting.Reports;

/// <summary>HTML escaping and the page frame used by every HTML file this project writes.</summary>
public static class Html
{
    private const string Css = CssStart + CssEnd;

    // The .tokens rule runs over both halves, to keep the lines within 140 columns.
    private const string CssStart = """
        body{font-family:"DejaVu Sans",Verdana,Arial,sans-serif;max-width:1000px;margin:2em auto;padding:0 1em;color:#222;line-height:1.45}
        h1{font-size:1.6em;margin-bottom:.2em}h2{font-size:1.25em;border-bottom:1px solid #ddd;padding-bottom:.2em;margin-top:1.6em}
        .lead{font-size:1.05em;color:#444}
        table{border-collapse:collapse;margin:.8em 0}th,td{border:1px solid #ddd;padding:.3em .7em}th{background:#f4f4f4;text-align:left}
        td.num{text-align:right;font-variant-numeric:tabular-nums}.pass{color:#1a7f37;font-weight:bold}.fail{color:#c62828;font-weight:bold}
        caption{text-align:left;font-weight:bold;padding-bottom:.3em}
        figure{margin:1em 0}figure img{max-width:100%;height:auto}figcaption{color:#555;font-size:.95em}
        pre{background:#f6f8fa;padding:.8em;overflow-x:auto;font-size:.9em}
        .tokens{font-family:"DejaVu Sans Mono",monospace;white-space:pre-wrap;line-height:1.8;
        """;
    private const string CssEnd = """
        background:#fafafa;padding:.6em;border:1px solid #eee}
        .tokens span{border-radius:2px}.scale{color:#555;font-size:.9em}.missing{color:#c62828}
        """;

    /// <summary>Escapes text for element content and attribute values (&amp;, &lt;, &gt;, quotes).</summary>
    public static string Encode(string? text) => WebUtility.HtmlEncode(text ?? "");

    /// <summary>A complete UTF-8 HTML5 document with the shared stylesheet around <paramref name="body"/> (already HTML).</summary>
    public static string Page(string title, string body) =>
        $"<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
        + "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\">\n"
        + $"<title>{Encode(title)}</title>\n<style>\n{Css}\n</style>\n</head>\n<body>\n{body}</body>\n</html>\n";
}

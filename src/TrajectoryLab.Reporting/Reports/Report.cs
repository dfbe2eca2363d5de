// The run report model: what report.md/report.html show, saved as report.json so a run can be re-rendered.
// Numbers are formatted invariantly when a row is built (KeyValue.Of) or rendered (Comparison), never by the current culture.
using System.Text.Json.Serialization;

namespace TrajectoryLab.Reporting.Reports;

/// <summary>A run report: a title, a lead paragraph and sections of blocks.</summary>
public sealed record Report(string Title)
{
    /// <summary>Lead paragraph under the title (plain text).</summary>
    public string? Lead { get; init; }

    /// <summary>Sections in order.</summary>
    public IReadOnlyList<Section> Sections { get; init; } = [];
}

/// <summary>A headed section of blocks.</summary>
public sealed record Section(string Heading, IReadOnlyList<ReportBlock> Blocks);

/// <summary>Base of every block kind (JSON property "kind").</summary>
[JsonPolymorphic(TypeDiscriminatorPropertyName = "kind")]
[JsonDerivedType(typeof(Paragraph), "paragraph")]
[JsonDerivedType(typeof(KeyValueTable), "keyValues")]
[JsonDerivedType(typeof(ComparisonTable), "comparison")]
[JsonDerivedType(typeof(FigureBlock), "figure")]
[JsonDerivedType(typeof(Preformatted), "preformatted")]
[JsonDerivedType(typeof(TokenStrip), "tokens")]
public abstract record ReportBlock;

/// <summary>A paragraph of plain text (HTML-escaped; written as-is into Markdown).</summary>
public sealed record Paragraph(string Text) : ReportBlock;

/// <summary>A two-column table of headline numbers.</summary>
public sealed record KeyValueTable(IReadOnlyList<KeyValue> Rows) : ReportBlock
{
    /// <summary>Optional caption above the table.</summary>
    public string? Title { get; init; }
}

/// <summary>One row of a <see cref="KeyValueTable"/>; the value is already text.</summary>
public sealed record KeyValue(string Key, string Value)
{
    /// <summary>A row whose value is <paramref name="value"/> with 6 significant digits (invariant), plus an optional unit.</summary>
    public static KeyValue Of(string key, double value, string? unit = null) =>
        new(key, unit is null ? Invariant.Display(value) : Invariant.Display(value) + " " + unit);

    /// <summary>A row whose value is an integer (invariant).</summary>
    public static KeyValue Of(string key, long value) => new(key, value.ToString(System.Globalization.CultureInfo.InvariantCulture));
}

/// <summary>Measured values against reference values (e.g. literature Lyapunov exponents).</summary>
public sealed record ComparisonTable(IReadOnlyList<Comparison> Rows) : ReportBlock
{
    /// <summary>Optional caption above the table.</summary>
    public string? Title { get; init; }
}

/// <summary>One measured-vs-reference row.</summary>
public sealed record Comparison(string Name, double Measured, double Reference, double Tolerance)
{
    /// <summary>|Measured − Reference| ≤ Tolerance; false when any is NaN.</summary>
    public bool Pass => Math.Abs(this.Measured - this.Reference) <= this.Tolerance;
}

/// <summary>A figure rendered into the run folder by name: <c>{Name}.svg</c> in HTML, <c>{Name}.png</c> in Markdown.</summary>
public sealed record FigureBlock(string Name) : ReportBlock
{
    /// <summary>Optional caption under the figure.</summary>
    public string? Caption { get; init; }
}

/// <summary>Pre-formatted text (a config dump, a generated sample).</summary>
public sealed record Preformatted(string Text) : ReportBlock;

/// <summary>A sequence of tokens, each with a value (e.g. entropy): coloured spans in HTML, plain text in Markdown.</summary>
public sealed record TokenStrip(IReadOnlyList<Token> Tokens) : ReportBlock
{
    /// <summary>What the value is, shown with the colour scale (e.g. <c>"entropy (nats)"</c>).</summary>
    public string? ValueLabel { get; init; }
}

/// <summary>One token of a <see cref="TokenStrip"/>: its text (whitespace kept) and value (NaN: uncoloured).</summary>
public sealed record Token(string Text, double Value);

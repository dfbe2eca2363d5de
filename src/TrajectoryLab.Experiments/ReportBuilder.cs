// Builds a run's Report model section by section while the experiment runs.
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Experiments;

/// <summary>Collects the lead, sections and blocks of a run report; <see cref="Build"/> makes the immutable model.</summary>
public sealed class ReportBuilder(string title)
{
    readonly List<(string Heading, List<ReportBlock> Blocks)> _sections = [];
    string? _lead;

    /// <summary>Sets the lead paragraph under the title.</summary>
    public void Lead(string text) => _lead = text;

    /// <summary>Starts a new section, optionally with a first paragraph.</summary>
    public void Section(string heading, string? paragraph = null)
    {
        _sections.Add((heading, []));
        if (paragraph is not null)
            Paragraph(paragraph);
    }

    /// <summary>Adds a paragraph to the current section.</summary>
    public void Paragraph(string text) => Add(new Paragraph(text));

    /// <summary>Adds a measured-vs-reference table to the current section.</summary>
    public void Checks(IReadOnlyList<Comparison> rows, string? title = null) => Add(new ComparisonTable(rows) { Title = title });

    /// <summary>Adds a table of named numbers to the current section.</summary>
    public void Numbers(IReadOnlyList<KeyValue> rows, string? title = null) => Add(new KeyValueTable(rows) { Title = title });

    /// <summary>Adds a figure (already rendered into the run folder under <paramref name="name"/>) to the current section.</summary>
    public void Figure(string name, string? caption = null) => Add(new FigureBlock(name) { Caption = caption });

    /// <summary>Adds any block to the current section (a "Results" section is opened if none is).</summary>
    public void Add(ReportBlock block)
    {
        if (_sections.Count == 0)
            _sections.Add(("Results", []));
        _sections[^1].Blocks.Add(block);
    }

    /// <summary>The report, with <paramref name="before"/> sections first and <paramref name="after"/> sections last.</summary>
    public Report Build(IEnumerable<Section>? before = null, IEnumerable<Section>? after = null) =>
        new(title)
        {
            Lead = _lead,
            Sections = [.. before ?? [], .. _sections.Select(s => new Section(s.Heading, s.Blocks.ToArray())), .. after ?? []],
        };
}

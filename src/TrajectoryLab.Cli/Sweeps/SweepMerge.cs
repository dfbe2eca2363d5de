// `sweep merge`: streams every complete cell's manifest headline (one manifest open at a time) into one table — cell
// index, id, hash, one column per axis key, one per headline metric (union over cells, empty where absent) — and writes
// merged.csv, merged.safetensors (see SafetensorsColumns), grid plots and report.md/html naming every missing or failed cell.
using System.Globalization;
using System.Text;
using System.Text.Json;
using TrajectoryLab.Core.IO;
using TrajectoryLab.Reporting;
using TrajectoryLab.Reporting.Reports;

namespace TrajectoryLab.Cli.Sweeps;

/// <summary>What a merge found and wrote.</summary>
/// <param name="Rows">Complete cells merged (rows of the table).</param>
/// <param name="Cells">Cells planned.</param>
/// <param name="NotDone">The cells that are not complete, with their states.</param>
/// <param name="Columns">The table's columns.</param>
public sealed record MergeResult(int Rows, int Cells, IReadOnlyList<CellStatus> NotDone, IReadOnlyList<Column> Columns);

/// <summary>Merges a sweep folder.</summary>
public static class SweepMerge
{
    /// <summary>Merges the complete cells of <paramref name="sweepFolder"/> and writes the table, plots and report there.</summary>
    /// <param name="sweepFolder">A folder with plan.json.</param>
    /// <param name="maxPlots">At most this many numeric metrics are plotted (in first-seen order).</param>
    /// <param name="figures">False skips the plots (the scale bench times the table alone as well).</param>
    public static MergeResult Merge(string sweepFolder, int maxPlots = 8, bool figures = true)
    {
        var plan = SweepFolder.ReadPlan(sweepFolder);
        var states = SweepStatus.Compute(plan, sweepFolder);
        var rows = new List<int>();
        var numbers = new Dictionary<string, List<double>>(StringComparer.Ordinal); // metric → value per row (NaN absent)
        var texts = new Dictionary<string, List<string?>>(StringComparer.Ordinal); // metric → text per row, for text metrics
        foreach (var state in states)
        {
            if (state.State != CellState.Done)
                continue;
            using var doc = JsonDocument.Parse(File.ReadAllBytes(Path.Combine(state.Folder!, "manifest.json")));
            var row = rows.Count;
            rows.Add(state.Cell.Index);
            if (!doc.RootElement.TryGetProperty("headline", out var headline))
                continue;
            foreach (var metric in headline.EnumerateObject())
            {
                if (!numbers.TryGetValue(metric.Name, out var column))
                    numbers[metric.Name] = column = [];
                while (column.Count <= row)
                    column.Add(double.NaN);
                if (metric.Value.ValueKind == JsonValueKind.Number)
                    column[row] = metric.Value.GetDouble();
                else
                {
                    var text = metric.Value.ToString();
                    if (double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out var v))
                    {
                        column[row] = v;
                        continue;
                    } // "NaN", "∞" as written by RunContext
                    if (!texts.TryGetValue(metric.Name, out var t))
                        texts[metric.Name] = t = [];
                    while (t.Count <= row)
                        t.Add(null);
                    t[row] = text;
                }
            }
        }

        var columns = new List<Column>
        {
            new("index", Integers: rows.Select(i => (long)i).ToArray()),
            new("id", Text: rows.Select(i => plan.Cells[i].Id).ToArray()),
            new("hash", Text: rows.Select(i => plan.Cells[i].Hash).ToArray()),
        };
        for (int k = 0; k < plan.AxisKeys.Count; k++)
        {
            var values = rows.Select(i => plan.Cells[i].Values[k]).ToArray();
            var parsed = values
                .Select(v => double.TryParse(v, NumberStyles.Float, CultureInfo.InvariantCulture, out var d) ? d : (double?)null)
                .ToArray();
            columns.Add(
                parsed.All(p => p is not null)
                    ? new Column(plan.AxisKeys[k], Numbers: parsed.Select(p => p!.Value).ToArray())
                    : new Column(plan.AxisKeys[k], Text: values)
            );
        }
        foreach (var (name, column) in numbers)
        {
            while (column.Count < rows.Count)
                column.Add(double.NaN);
            if (texts.TryGetValue(name, out var t))
                columns.Add(
                    new Column(
                        name,
                        Text: column
                            .Select(
                                (v, r) =>
                                    r < t.Count && t[r] is { } s ? s
                                    : double.IsNaN(v) ? ""
                                    : Invariant.RoundTrip(v)
                            )
                            .ToArray()
                    )
                );
            else
                columns.Add(new Column(name, Numbers: column.ToArray()));
        }

        WriteCsv(Path.Combine(sweepFolder, "merged.csv"), columns, rows.Count);
        SafetensorsColumns.Write(Path.Combine(sweepFolder, "merged.safetensors"), columns);
        var notDone = states.Where(s => s.State != CellState.Done).ToList();
        var result = new MergeResult(rows.Count, plan.Cells.Count, notDone, columns);
        var metricColumns = columns.Skip(3 + plan.AxisKeys.Count).ToList();
        var plotted = figures
            ? SweepFigures.Draw(
                plan,
                rows,
                columns.Skip(3).Take(plan.AxisKeys.Count).ToList(),
                metricColumns.Where(c => c.Numbers is not null).Take(maxPlots).ToList(),
                sweepFolder
            )
            : [];
        ReportWriter.Write(BuildReport(plan, result, metricColumns, plotted), sweepFolder);
        return result;
    }

    static void WriteCsv(string path, IReadOnlyList<Column> columns, int rows) => AtomicFile.Write(path, stream =>
        {
            using var w = new StreamWriter(stream, new UTF8Encoding(false), 1 << 16, leaveOpen: true);
            w.Write(string.Join(",", columns.Select(c => Quote(c.Name))));
            w.Write('\n');
            for (int r = 0; r < rows; r++)
            {
                for (int c = 0; c < columns.Count; c++)
                {
                    if (c > 0)
                        w.Write(',');
                    var col = columns[c];
                    w.Write(
                        col.Numbers is { } n ? (double.IsNaN(n[r]) ? "" : Invariant.RoundTrip(n[r]))
                        : col.Integers is { } i ? i[r].ToString(CultureInfo.InvariantCulture)
                        : Quote(col.Text![r])
                    );
                }
                w.Write('\n');
            }
        });

    static string Quote(string s) => s.IndexOfAny([',', '"', '\n', '\r']) >= 0 ? "\"" + s.Replace("\"", "\"\"") + "\"" : s;

    static Report BuildReport(
        SweepPlan plan,
        MergeResult result,
        IReadOnlyList<Column> metrics,
        IReadOnlyList<(string Name, string Caption)> plotted
    )
    {
        var count = (CellState s) => result.NotDone.Count(n => n.State == s);
        var baseFile = Path.GetFileName(plan.BaseFile);
        var axes = string.Join(" × ", plan.AxisKeys);
        var (failed, running) = (count(CellState.Failed), count(CellState.Running));
        var missing = count(CellState.Missing) + count(CellState.Stale);
        var lead = string.Create(
            CultureInfo.InvariantCulture,
            $"Sweep {plan.Name}: base {baseFile} ({plan.Kind}), {plan.AxisKeys.Count} axes ({axes}), {result.Cells} cells. "
                + $"Merged {result.Rows} complete cells; {failed} failed, {running} running, {missing} missing."
        );
        var summary = metrics
            .Where(m => m.Numbers is not null)
            .Select(m =>
            {
                var finite = m.Numbers!.Where(double.IsFinite).ToArray();
                if (finite.Length == 0)
                    return new KeyValue(m.Name, "no finite values");
                var (mean, min, max) = (
                    Invariant.Display(finite.Average()),
                    Invariant.Display(finite.Min()),
                    Invariant.Display(finite.Max())
                );
                return new KeyValue(
                    m.Name,
                    string.Create(CultureInfo.InvariantCulture, $"mean {mean}, min {min}, max {max} over {finite.Length} cells")
                );
            })
            .ToArray();
        var sections = new List<Section>
        {
            new(
                "Merged table",
                [
                    new Paragraph(
                        string.Create(
                            CultureInfo.InvariantCulture,
                            $"merged.csv and merged.safetensors hold {result.Rows} rows × {result.Columns.Count} columns "
                        ) + "(index, id, hash, the axis values, then the headline metrics; empty where a cell has no such metric)."
                    ),
                    .. summary.Length > 0 ? [new KeyValueTable(summary)] : Array.Empty<ReportBlock>(),
                ]
            ),
            new(
                "Grid plots",
                plotted.Count == 0
                    ? [new Paragraph("No plots: no numeric metric, or no axis other than seeds.")]
                    : plotted.Select(p => (ReportBlock)new FigureBlock(p.Name) { Caption = p.Caption }).ToArray()
            ),
        };
        const int listed = 500;
        var lines = result
            .NotDone.Take(listed)
            .Select(n => $"{n.Cell.Id}: {n.State.ToString().ToLowerInvariant()}{(n.Detail.Length > 0 ? " — " + n.Detail : "")}")
            .ToList();
        if (result.NotDone.Count > listed)
            lines.Add(string.Create(CultureInfo.InvariantCulture, $"… and {result.NotDone.Count - listed} more"));
        sections.Add(
            new(
                "Missing and failed cells",
                result.NotDone.Count == 0
                    ? [new Paragraph(string.Create(CultureInfo.InvariantCulture, $"None: all {result.Cells} cells are complete."))]
                    :
                    [
                        new Paragraph(
                            string.Create(
                                CultureInfo.InvariantCulture,
                                $"{result.NotDone.Count} of {result.Cells} cells are not in the table:"
                            )
                        ),
                        new Preformatted(string.Join("\n", lines)),
                    ]
            )
        );
        return new Report($"sweep {plan.Name}") { Lead = lead, Sections = sections };
    }
}

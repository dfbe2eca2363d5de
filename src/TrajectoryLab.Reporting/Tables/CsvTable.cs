// A CSV table of named columns (double, int or string) written atomically, and its reader.
// RFC 4180 quoting, '\n' line ends, invariant numbers; doubles round-trip exactly ("R"), NaN/Infinity/-Infinity by name.
using System.Globalization;
using System.Text;
using TrajectoryLab.Core.IO;

namespace TrajectoryLab.Reporting.Tables;

/// <summary>Named columns of equal length; cells are kept as their invariant CSV text.</summary>
public sealed class CsvTable
{
    private readonly List<(string Name, string[] Cells)> columns = [];

    /// <summary>Column names in order.</summary>
    public IReadOnlyList<string> ColumnNames => this.columns.Select(c => c.Name).ToArray();

    /// <summary>Number of data rows.</summary>
    public int RowCount => this.columns.Count == 0 ? 0 : this.columns[0].Cells.Length;

    /// <summary>Adds a column of doubles, formatted to round-trip exactly.</summary>
    public CsvTable Add(string name, IReadOnlyList<double> values) => this.AddCells(name, values.Select(Invariant.RoundTrip));

    /// <summary>Adds a column of integers.</summary>
    public CsvTable Add(string name, IReadOnlyList<int> values) =>
        this.AddCells(name, values.Select(v => v.ToString(CultureInfo.InvariantCulture)));

    /// <summary>Adds a column of strings (quoted on write where needed).</summary>
    public CsvTable Add(string name, IReadOnlyList<string> values) => this.AddCells(name, values);

    /// <summary>The raw cell texts of column <paramref name="name"/>.</summary>
    /// <exception cref="KeyNotFoundException">No such column.</exception>
    public IReadOnlyList<string> Strings(string name) =>
        this.columns.FirstOrDefault(c => c.Name == name).Cells ?? throw new KeyNotFoundException($"no column '{name}'");

    /// <summary>Column <paramref name="name"/> parsed as doubles (NaN, Infinity, -Infinity accepted).</summary>
    public double[] Doubles(string name) => this.Strings(name).Select(Invariant.ParseDouble).ToArray();

    /// <summary>Column <paramref name="name"/> parsed as invariant integers.</summary>
    public int[] Ints(string name) =>
        this.Strings(name).Select(s => int.Parse(s, NumberStyles.Integer, CultureInfo.InvariantCulture)).ToArray();

    /// <summary>The CSV text: a header line, then one line per row, each ended by '\n'.</summary>
    public override string ToString()
    {
        var sb = new StringBuilder();
        sb.AppendJoin(',', this.columns.Select(c => Quote(c.Name))).Append('\n');
        for (var r = 0; r < this.RowCount; r++)
            sb.AppendJoin(',', this.columns.Select(c => Quote(c.Cells[r]))).Append('\n');
        return sb.ToString();
    }

    /// <summary>Writes the table to <paramref name="path"/> atomically (UTF-8, no BOM).</summary>
    public void Write(string path) => AtomicFile.WriteAllText(path, this.ToString());

    /// <summary>Reads a table written by <see cref="Write"/> (any RFC 4180 CSV with a header line).</summary>
    public static CsvTable Read(string path) => Parse(File.ReadAllText(path));

    /// <summary>Parses CSV text with a header line.</summary>
    /// <exception cref="FormatException">A row has a different number of fields than the header, or a quote is unterminated.</exception>
    public static CsvTable Parse(string text)
    {
        var rows = CsvParser.Rows(text);
        var table = new CsvTable();
        if (rows.Count == 0)
            return table;
        var header = rows[0];
        for (var r = 1; r < rows.Count; r++)
            if (rows[r].Count != header.Count)
                throw new FormatException($"CSV row {r + 1} has {rows[r].Count} fields, header has {header.Count}");
        for (var c = 0; c < header.Count; c++)
            table.AddCells(header[c], rows.Skip(1).Select(row => row[c]));
        return table;
    }

    private CsvTable AddCells(string name, IEnumerable<string> cells)
    {
        if (this.columns.Any(c => c.Name == name))
            throw new ArgumentException($"column '{name}' already exists");
        var array = cells.ToArray();
        if (this.columns.Count > 0 && array.Length != this.RowCount)
            throw new ArgumentException($"column '{name}' has {array.Length} rows, table has {this.RowCount}");
        this.columns.Add((name, array));
        return this;
    }

    private static string Quote(string cell) => cell.AsSpan().IndexOfAny(",\"\n\r") >= 0 ? "\"" + cell.Replace("\"", "\"\"") + "\"" : cell;
}

// A CSV table whose columns are the public properties of a row record: the column names are the properties' names in
// snake_case (or a [Column] name), numbers are written round-trip and invariant, everything else as invariant text.
// Replaces rows of object[] read back by index, where inserting a column silently shifted every later one.
using System.Globalization;
using System.Reflection;
using System.Text.Json;
using TrajectoryLab.Reporting.Tables;

namespace TrajectoryLab.Experiments;

/// <summary>Names a table column explicitly (otherwise the property's name in snake_case).</summary>
/// <param name="name">The column name.</param>
[AttributeUsage(AttributeTargets.Property)]
public sealed class ColumnAttribute(string name) : Attribute
{
    /// <summary>The column name.</summary>
    public string Name { get; } = name;
}

/// <summary>Builds a <see cref="CsvTable"/> from typed rows.</summary>
public static class TypedTable
{
    /// <summary>The column names a row type produces, in order.</summary>
    public static IReadOnlyList<string> Columns<TRow>() => [.. Properties(typeof(TRow)).Select(ColumnName)];

    /// <summary>The table of <paramref name="rows"/>.</summary>
    public static CsvTable Of<TRow>(IEnumerable<TRow> rows)
    {
        var data = rows.ToList();
        var table = new CsvTable();
        foreach (var property in Properties(typeof(TRow)))
        {
            var type = Nullable.GetUnderlyingType(property.PropertyType) ?? property.PropertyType;
            var cells = data.Select(r => property.GetValue(r)).ToArray();
            if (type == typeof(double) || type == typeof(float) || type == typeof(int) || type == typeof(long))
                table.Add(
                    ColumnName(property),
                    cells.Select(v => v is null ? double.NaN : Convert.ToDouble(v, CultureInfo.InvariantCulture)).ToArray()
                );
            else
                table.Add(ColumnName(property), cells.Select(v => Convert.ToString(v, CultureInfo.InvariantCulture) ?? "").ToArray());
        }
        return table;
    }

    static IEnumerable<PropertyInfo> Properties(Type type) =>
        type.GetProperties(BindingFlags.Public | BindingFlags.Instance)
            .Where(p => p.GetIndexParameters().Length == 0)
            .OrderBy(p => p.MetadataToken);

    static string ColumnName(PropertyInfo property) =>
        property.GetCustomAttribute<ColumnAttribute>()?.Name ?? JsonNamingPolicy.SnakeCaseLower.ConvertName(property.Name);
}

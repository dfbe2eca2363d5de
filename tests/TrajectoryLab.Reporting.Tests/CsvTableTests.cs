// CsvTable: exact double round-trip (FsCheck), NaN/±∞ by name, quoting, and shape errors.
using FsCheck.Xunit;
using TrajectoryLab.Reporting.Tables;

namespace TrajectoryLab.Reporting.Tests;

public sealed class CsvTableTests
{
    [Property(MaxTest = 200)]
    public bool Doubles_round_trip_bit_for_bit(double[] values)
    {
        var back = CsvTable.Parse(new CsvTable().Add("v", values).ToString()).Doubles("v");
        return back.Length == values.Length && back.Zip(values).All(p => BitConverter.DoubleToInt64Bits(p.First) == BitConverter.DoubleToInt64Bits(p.Second) || (double.IsNaN(p.First) && double.IsNaN(p.Second)));
    }

    [Property(MaxTest = 200)]
    public bool Strings_round_trip(string[] values)
    {
        var cleaned = values.Select(v => v ?? "").ToArray();
        return CsvTable.Parse(new CsvTable().Add("s", cleaned).Add("i", cleaned.Select((_, i) => i).ToArray()).ToString()).Strings("s").SequenceEqual(cleaned);
    }

    [Fact]
    public void Non_finite_values_are_written_by_name_and_read_back()
    {
        using var dir = new TempFolder();
        var table = new CsvTable()
            .Add("x", [double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.1])
            .Add("n", [1, 2, 3, 4])
            .Add("label", ["a,b", "say \"hi\"", "two\nlines", "plain"]);
        table.Write(dir["t.csv"]);
        var text = File.ReadAllText(dir["t.csv"]);
        Assert.StartsWith("x,n,label\nNaN,1,\"a,b\"\nInfinity,2,\"say \"\"hi\"\"\"\n-Infinity,3,\"two\nlines\"\n0.1,4,plain\n", text);
        var back = CsvTable.Read(dir["t.csv"]);
        Assert.Equal(["x", "n", "label"], back.ColumnNames);
        Assert.Equal([double.NaN, double.PositiveInfinity, double.NegativeInfinity, 0.1], back.Doubles("x"));
        Assert.Equal([1, 2, 3, 4], back.Ints("n"));
        Assert.Equal("two\nlines", back.Strings("label")[2]);
    }

    [Fact]
    public void Columns_of_different_length_are_rejected()
    {
        Assert.Throws<ArgumentException>(() => new CsvTable().Add("a", [1.0, 2.0]).Add("b", [1]));
        Assert.Throws<FormatException>(() => CsvTable.Parse("a,b\n1\n"));
    }
}

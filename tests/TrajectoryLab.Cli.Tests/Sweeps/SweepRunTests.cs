// `sweep run --jobs 2` of experiments/sweeps/logistic-grid.json through real child processes (`dotnet trajectorylab.dll
// sweep cell ...`), then merge: every cell complete, one CSV row per cell, a safetensors file whose columns equal the CSV;
// resume re-runs only the deleted, killed (fake .partial-99999) and re-hashed cells; merge names a missing cell.
using System.Buffers.Binary;
using System.Globalization;
using System.Text.Json;
using TrajectoryLab.Cli.Sweeps;
using TrajectoryLab.Reporting.Tables;

namespace TrajectoryLab.Cli.Tests.Sweeps;

[Collection(ConsoleCollection.Name)]
public sealed class SweepRunTests : IDisposable
{
    readonly string _results = Directory.CreateTempSubdirectory("sweep-run-").FullName;
    static readonly string SweepFile = Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!, "experiments", "sweeps", "logistic-grid.json");

    public void Dispose() => Directory.Delete(_results, recursive: true);

    string Folder => Path.Combine(_results, "sweeps", "logistic-grid");

    string[] CellFolders() => Directory.GetDirectories(Path.Combine(Folder, "cells")).Select(Path.GetFileName).Order(StringComparer.Ordinal).ToArray()!;

    static string Started(string cellFolder) =>
        JsonDocument.Parse(File.ReadAllText(Path.Combine(cellFolder, "manifest.json"))).RootElement.GetProperty("startedUtc").GetString()!;

    [Fact]
    public void RunsMergesAndResumesOnlyTheIncompleteCells()
    {
        var (code, stdout, stderr) = CliHost.Run("sweep", "run", SweepFile, "--jobs", "2", "--results", _results);
        Assert.True(code == 0, stdout + stderr);
        var plan = SweepFolder.ReadPlan(Folder);
        Assert.Equal(8, plan.Cells.Count);
        Assert.Equal(plan.Cells.Select(c => c.Id), CellFolders());
        Assert.All(plan.Cells, c => Assert.True(SweepFolder.IsComplete(Path.Combine(Folder, "cells", c.Id), c.Hash), c.Id));

        (code, stdout, stderr) = CliHost.Run("sweep", "merge", Folder);
        Assert.True(code == 0, stderr);
        var csv = CsvTable.Read(Path.Combine(Folder, "merged.csv"));
        Assert.Equal(8, csv.RowCount);
        Assert.Equal(plan.Cells.Select(c => c.Id), csv.Strings("id"));
        AssertSafetensorsEqualsCsv(Path.Combine(Folder, "merged.safetensors"), csv);
        Assert.Contains("None: all 8 cells are complete", File.ReadAllText(Path.Combine(Folder, "report.md")));

        // Resume: cell 3 deleted and a killed run of it planted; cell 5 ran another configuration.
        var cells = Path.Combine(Folder, "cells");
        var before = plan.Cells.ToDictionary(c => c.Index, c => Started(Path.Combine(cells, c.Id)));
        Directory.Delete(Path.Combine(cells, plan.Cells[3].Id), recursive: true);
        Directory.CreateDirectory(Path.Combine(cells, plan.Cells[3].Id + ".partial-99999"));
        File.WriteAllText(Path.Combine(cells, plan.Cells[3].Id + ".partial-99999", "manifest.json"), """{ "status": "running" }""");
        var record = Path.Combine(cells, plan.Cells[5].Id, "cell.json");
        File.WriteAllText(record, File.ReadAllText(record).Replace(plan.Cells[5].Hash, "0123456789abcdef"));

        (code, stdout, stderr) = CliHost.Run("sweep", "status", SweepFile, "--results", _results);
        Assert.Equal(0, code);
        Assert.Contains("6 done, 0 running, 0 failed, 2 missing", stdout);

        Thread.Sleep(1100); // start times have whole-second resolution: a re-run cell must show a later one
        (code, stdout, stderr) = CliHost.Run("sweep", "run", SweepFile, "--jobs", "2", "--results", _results);
        Assert.True(code == 0, stdout + stderr);
        Assert.Contains("running 2 with 2 jobs", stdout);
        Assert.Equal(plan.Cells.Select(c => c.Id), CellFolders()); // the fake partial folder is gone
        foreach (var c in plan.Cells)
        {
            Assert.True(SweepFolder.IsComplete(Path.Combine(cells, c.Id), c.Hash), c.Id);
            if (c.Index is 3 or 5) Assert.NotEqual(before[c.Index], Started(Path.Combine(cells, c.Id)));
            else Assert.Equal(before[c.Index], Started(Path.Combine(cells, c.Id)));
        }
        Assert.Equal(0, CliHost.Run("sweep", "merge", Folder).Code);
        Assert.Equal(8, CsvTable.Read(Path.Combine(Folder, "merged.csv")).RowCount);

        // A missing cell is named by merge, on the console and in the report.
        Directory.Delete(Path.Combine(cells, plan.Cells[6].Id), recursive: true);
        (code, stdout, _) = CliHost.Run("sweep", "merge", Folder);
        Assert.Equal(0, code);
        Assert.Contains(plan.Cells[6].Id, stdout);
        Assert.Equal(7, CsvTable.Read(Path.Combine(Folder, "merged.csv")).RowCount);
        var report = File.ReadAllText(Path.Combine(Folder, "report.md"));
        Assert.Contains($"{plan.Cells[6].Id}: missing", report);
        Assert.Contains("1 of 8 cells are not in the table", report);
    }

    /// <summary>Parses the safetensors header and data by hand (8-byte length, JSON, little-endian columns) and compares
    /// every column with the CSV: F64/I64 values, and I32 codes decoded through the labels in __metadata__.</summary>
    static void AssertSafetensorsEqualsCsv(string path, CsvTable csv)
    {
        var bytes = File.ReadAllBytes(path);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, length % 8);
        using var header = JsonDocument.Parse(bytes.AsMemory(8, length));
        var data = bytes[(8 + length)..];
        var metadata = header.RootElement.GetProperty("__metadata__");
        var names = header.RootElement.EnumerateObject().Where(p => p.Name != "__metadata__").Select(p => p.Name).ToArray();
        Assert.Equal(csv.ColumnNames, names);
        long end = 0;
        foreach (var name in names)
        {
            var info = header.RootElement.GetProperty(name);
            var (begin, stop) = (info.GetProperty("data_offsets")[0].GetInt64(), info.GetProperty("data_offsets")[1].GetInt64());
            Assert.Equal(end, begin); // contiguous
            end = stop;
            Assert.Equal(csv.RowCount, info.GetProperty("shape")[0].GetInt32());
            var expected = csv.Strings(name);
            var column = data[(int)begin..(int)stop];
            string[] actual = info.GetProperty("dtype").GetString() switch
            {
                "F64" => Enumerable.Range(0, csv.RowCount).Select(i => BinaryPrimitives.ReadDoubleLittleEndian(column[(i * 8)..])).Select(v => double.IsNaN(v) ? "" : v.ToString("R", CultureInfo.InvariantCulture)).ToArray(),
                "I64" => Enumerable.Range(0, csv.RowCount).Select(i => BinaryPrimitives.ReadInt64LittleEndian(column[(i * 8)..]).ToString(CultureInfo.InvariantCulture)).ToArray(),
                "I32" => Enumerable.Range(0, csv.RowCount).Select(i => JsonSerializer.Deserialize<string[]>(metadata.GetProperty(name).GetString()!)![BinaryPrimitives.ReadInt32LittleEndian(column[(i * 4)..])]).ToArray(),
                var other => throw new Xunit.Sdk.XunitException($"unexpected dtype {other}"),
            };
            if (info.GetProperty("dtype").GetString() == "F64")
                Assert.Equal(expected.Select(s => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture)), actual.Select(s => s.Length == 0 ? double.NaN : double.Parse(s, CultureInfo.InvariantCulture)));
            else Assert.Equal(expected, actual);
        }
        Assert.Equal(data.LongLength, end);
    }
}

// The on-disk layout of a sweep: <folder>/plan.json (the cells, ids, hashes, axis values), cells/<id>/ (a complete run
// folder with cell.json written last), cells/<id>.partial-<pid>/ (running, or killed mid-way) and cells/<id>.failed-<pid>/.
// A cell is complete iff cells/<id>/cell.json exists, its hash equals the planned hash and the manifest says completed.
using System.Text.Json;
using TrajectoryLab.Core.IO;

namespace TrajectoryLab.Cli.Sweeps;

/// <summary>cell.json: written last, atomically, into a cell's folder once its run completed.</summary>
/// <param name="Index">The cell's index.</param>
/// <param name="Id">The cell's id.</param>
/// <param name="Hash">The hash of the configuration it ran.</param>
/// <param name="Status">"completed".</param>
public sealed record CellRecord(int Index, string Id, string Hash, string Status);

/// <summary>Paths and files of a sweep folder.</summary>
public static class SweepFolder
{
    /// <summary>Suffix of a running (or killed) cell's folder, followed by the process id.</summary>
    public const string PartialMark = ".partial-";

    /// <summary>Suffix of a failed cell's folder, followed by the process id.</summary>
    public const string FailedMark = ".failed-";

    /// <summary>The cells folder of <paramref name="sweepFolder"/>.</summary>
    /// <param name="sweepFolder">The sweep's results folder.</param>
    public static string Cells(string sweepFolder) => Path.Combine(sweepFolder, "cells");

    /// <summary>True when <paramref name="cellFolder"/> holds a completed run of the configuration <paramref name="hash"/>.</summary>
    /// <param name="cellFolder">cells/&lt;id&gt;.</param>
    /// <param name="hash">The planned hash.</param>
    public static bool IsComplete(string cellFolder, string hash)
    {
        var record = ReadCell(cellFolder);
        return record is not null && record.Hash == hash && record.Status == "completed" && ManifestStatus(cellFolder) == "completed";
    }

    /// <summary>cell.json of <paramref name="cellFolder"/>, or null when absent or unreadable.</summary>
    /// <param name="cellFolder">A cell folder.</param>
    public static CellRecord? ReadCell(string cellFolder)
    {
        var path = Path.Combine(cellFolder, "cell.json");
        try
        {
            return File.Exists(path) ? JsonSerializer.Deserialize<CellRecord>(File.ReadAllText(path), Runs.Manifest.Json) : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The manifest's status in lower case, or null; read without binding the whole manifest.</summary>
    /// <param name="runFolder">A run folder.</param>
    public static string? ManifestStatus(string runFolder)
    {
        var path = Path.Combine(runFolder, "manifest.json");
        try
        {
            if (!File.Exists(path))
                return null;
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            return doc.RootElement.TryGetProperty("status", out var s) ? s.GetString()?.ToLowerInvariant() : null;
        }
        catch (JsonException)
        {
            return null;
        }
    }

    /// <summary>The first line of the manifest's error, or a note that there is none.</summary>
    /// <param name="runFolder">A failed run folder.</param>
    public static string FirstErrorLine(string runFolder)
    {
        var path = Path.Combine(runFolder, "manifest.json");
        try
        {
            if (!File.Exists(path))
                return "no manifest.json (the cell stopped before its run started)";
            using var doc = JsonDocument.Parse(File.ReadAllBytes(path));
            var error = doc.RootElement.TryGetProperty("error", out var e) ? e.GetString() : null;
            return string.IsNullOrWhiteSpace(error)
                ? $"status {ManifestStatus(runFolder)}, no error recorded"
                : error.Split('\n')[0].Trim();
        }
        catch (JsonException ex)
        {
            return "unreadable manifest.json: " + ex.Message;
        }
    }

    /// <summary>Writes plan.json: name, base, kind, overrides, axis keys and every cell (streamed, atomically).</summary>
    /// <param name="plan">The plan.</param>
    /// <param name="sweepFolder">The sweep's results folder.</param>
    public static void WritePlan(SweepPlan plan, string sweepFolder) => AtomicFile.Write(Path.Combine(sweepFolder, "plan.json"), stream =>
        {
            using var w = new Utf8JsonWriter(stream, new JsonWriterOptions { Indented = true });
            w.WriteStartObject();
            w.WriteString("name", plan.Name);
            w.WriteString("sweepFile", Path.GetFullPath(plan.File));
            w.WriteString("baseFile", Path.GetFullPath(plan.BaseFile));
            w.WriteString("kind", plan.Kind);
            w.WriteStartObject("overrides");
            foreach (var (k, v) in plan.Overrides)
                w.WriteString(k, v);
            w.WriteEndObject();
            w.WriteStartArray("axisKeys");
            foreach (var k in plan.AxisKeys)
                w.WriteStringValue(k);
            w.WriteEndArray();
            w.WriteStartArray("cells");
            foreach (var c in plan.Cells)
            {
                w.WriteStartObject();
                w.WriteNumber("index", c.Index);
                w.WriteString("id", c.Id);
                w.WriteString("hash", c.Hash);
                w.WriteStartArray("values");
                foreach (var v in c.Values)
                    w.WriteStringValue(v);
                w.WriteEndArray();
                w.WriteEndObject();
            }
            w.WriteEndArray();
            w.WriteEndObject();
        });

    /// <summary>Reads plan.json back (no binding: the hashes are the ones planned).</summary>
    /// <param name="sweepFolder">The sweep's results folder.</param>
    /// <exception cref="FileNotFoundException">No plan.json: not a sweep folder.</exception>
    public static SweepPlan ReadPlan(string sweepFolder)
    {
        var path = Path.Combine(sweepFolder, "plan.json");
        if (!File.Exists(path))
            throw new FileNotFoundException(
                $"{path}: not found; is '{sweepFolder}' a sweep folder (run `sweep run` or `sweep cell` first)?"
            );
        using var stream = File.OpenRead(path);
        using var doc = JsonDocument.Parse(stream);
        var root = doc.RootElement;
        var cells = new List<SweepCell>(root.GetProperty("cells").GetArrayLength());
        foreach (var c in root.GetProperty("cells").EnumerateArray())
            cells.Add(
                new SweepCell(
                    c.GetProperty("index").GetInt32(),
                    c.GetProperty("id").GetString()!,
                    c.GetProperty("hash").GetString()!,
                    c.GetProperty("values").EnumerateArray().Select(v => v.GetString()!).ToArray()
                )
            );
        return new SweepPlan
        {
            File = root.GetProperty("sweepFile").GetString()!,
            Name = root.GetProperty("name").GetString()!,
            BaseFile = root.GetProperty("baseFile").GetString()!,
            Kind = root.GetProperty("kind").GetString()!,
            Overrides = root.GetProperty("overrides")
                .EnumerateObject()
                .ToDictionary(p => p.Name, p => p.Value.GetString(), StringComparer.OrdinalIgnoreCase),
            AxisKeys = root.GetProperty("axisKeys").EnumerateArray().Select(k => k.GetString()!).ToArray(),
            Cells = cells,
        };
    }
}

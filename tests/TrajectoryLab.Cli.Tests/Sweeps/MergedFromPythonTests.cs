// merged.safetensors is read by Python: scripts/sweeps/read_merged.py (standard library only, the same layout that
// safetensors.numpy.load_file reads) gets back every column SafetensorsColumns wrote — doubles bit for bit (NaN and
// infinities too), integers, and text through the labels in "__metadata__", quotes and non-ASCII included.
using System.Diagnostics;
using System.Text.Json;
using TrajectoryLab.Cli.Sweeps;

namespace TrajectoryLab.Cli.Tests.Sweeps;

public sealed class MergedFromPythonTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("merged-py-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [PythonFact]
    public void PythonReadsEveryColumnBack()
    {
        double[] numbers = [0.1, -2.5e-300, double.NaN, double.PositiveInfinity, 1.0 / 3];
        long[] index = [0, 1, 2, 3, long.MaxValue];
        string[] text = ["greedy", "top-k \"k=40\"", "greedy", "Ünïcode ∂H/∂T", ""];
        var path = Path.Combine(_folder, "merged.safetensors");
        SafetensorsColumns.Write(path, [new Column("index", Integers: index), new Column("mean_entropy", Numbers: numbers), new Column("sampler", Text: text)]);

        var script = Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!, "scripts", "sweeps", "read_merged.py");
        var info = new ProcessStartInfo("python3") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, path, "--json" }) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEnd();
        var stderr = p.StandardError.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, stderr);

        var root = JsonDocument.Parse(stdout, new JsonDocumentOptions()).RootElement;
        Assert.Equal(["index", "mean_entropy", "sampler"], root.GetProperty("names").EnumerateArray().Select(e => e.GetString()));
        var columns = root.GetProperty("columns");
        Assert.Equal(index, columns.GetProperty("index").EnumerateArray().Select(e => e.GetInt64()));
        Assert.Equal(text, columns.GetProperty("sampler").EnumerateArray().Select(e => e.GetString()));
        var read = columns.GetProperty("mean_entropy").EnumerateArray().Select(Number).ToArray();
        Assert.Equal(numbers.Select(BitConverter.DoubleToInt64Bits), read.Select(BitConverter.DoubleToInt64Bits));
    }

    /// <summary>A number, or the strings "NaN", "Infinity", "-Infinity" the script writes for the non-finite ones.</summary>
    static double Number(JsonElement e) => e.ValueKind == JsonValueKind.Number ? e.GetDouble()
        : double.Parse(e.GetString()!, System.Globalization.CultureInfo.InvariantCulture);
}

/// <summary>A fact that needs python3 on PATH; skipped with the reason where there is none.</summary>
public sealed class PythonFactAttribute : FactAttribute
{
    public PythonFactAttribute()
    {
        var found = (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator).Any(d => File.Exists(Path.Combine(d, "python3")));
        if (!found) Skip = "python3 is not on PATH";
    }
}

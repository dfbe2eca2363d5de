// Sweep files: crossed, zipped, range and seeds axes expand in a stable order with stable ids; the content hash follows
// the effective configuration (not the JSON's layout); and every mistake fails naming the sweep file and the key.
using Microsoft.Extensions.DependencyInjection;
using TrajectoryLab.Cli.Configuration;
using TrajectoryLab.Experiments;
using TrajectoryLab.Cli.Sweeps;

namespace TrajectoryLab.Cli.Tests.Sweeps;

public sealed class SweepPlanTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("sweep-plan-").FullName;
    readonly ExperimentCatalog _catalog;
    readonly ExperimentRegistry _registry;

    public SweepPlanTests()
    {
        var services = new ServiceCollection().AddLogging().AddTrajectoryLab().BuildServiceProvider();
        _catalog = services.GetRequiredService<ExperimentCatalog>();
        _registry = services.GetRequiredService<ExperimentRegistry>();
    }

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string json, string name = "grid.json")
    {
        var path = Path.Combine(_dir, name);
        File.WriteAllText(path, json);
        return path;
    }

    SweepPlan Load(string path) => SweepPlan.Load(path, _catalog, kind => _registry.Find(kind)?.OptionsType);

    const string Grid = """
        { "base": "logistic-sweep", "overrides": { "rCount": 50 },
          "axes": [ { "key": "rMin", "values": [2.5, 3] },
                    { "zip": [ { "key": "x0", "values": [0.1, 0.2, 0.3] }, { "key": "rMax", "range": { "from": 3.7, "to": 3.9, "step": 0.1 } } ] } ],
          "seeds": 2 }
        """;

    [Fact]
    public void CrossesZipsRangesAndSeedsInFileOrderLastFastest()
    {
        var plan = Load(Write(Grid));
        Assert.Equal(["rMin", "x0", "rMax", "seed"], plan.AxisKeys);
        Assert.Equal(12, plan.Cells.Count);
        Assert.Equal(["2.5", "0.1", "3.7", "1"], plan.Cells[0].Values);
        Assert.Equal(["2.5", "0.1", "3.7", "2"], plan.Cells[1].Values);
        Assert.Equal(["2.5", "0.2", "3.8", "1"], plan.Cells[2].Values);
        Assert.Equal(["3", "0.3", "3.9", "2"], plan.Cells[11].Values);
        Assert.Equal("0000-rMin_2.5-x0_0.1-rMax_3.7-seed_1", plan.Cells[0].Id);
        Assert.Equal("0011-rMin_3-x0_0.3-rMax_3.9-seed_2", plan.Cells[11].Id);
        Assert.Equal(Enumerable.Range(0, 12), plan.Cells.Select(c => c.Index));
        Assert.Equal(12, plan.Cells.Select(c => c.Hash).Distinct().Count());
        Assert.All(plan.Cells, c => Assert.Matches("^[0-9a-f]{16}$", c.Hash));
    }

    [Fact]
    public void CountRangesCountFromTheirStart()
    {
        var plan = Load(Write("""{ "base": "logistic-sweep", "axes": [ { "key": "seed", "range": { "from": 5, "count": 3 } } ] }"""));
        Assert.Equal(["5", "6", "7"], plan.Cells.Select(c => c.Values[0]));
    }

    [Fact]
    public void IdsAndHashesAreStableAndIgnoreTheJsonLayout()
    {
        var first = Load(Write(Grid));
        var again = Load(Write(Grid));
        var relaidOut = Load(Write("""
            {"seeds":2,"axes":[{"values":[2.5,3],"key":"rMin"},{"zip":[{"values":[0.1,0.2,0.3],"key":"x0"},{"range":{"step":0.1,"to":3.9,"from":3.7},"key":"rMax"}]}],
             "overrides":{"rCount":50},"base":"logistic-sweep"}
            """, "other.json"));
        Assert.Equal(first.Cells.Select(c => (c.Id, c.Hash)), again.Cells.Select(c => (c.Id, c.Hash)));
        Assert.Equal(first.Cells.Select(c => (c.Id, c.Hash)), relaidOut.Cells.Select(c => (c.Id, c.Hash)));
    }

    [Fact]
    public void TheHashFollowsTheBaseExperimentsValues()
    {
        var original = File.ReadAllText(Path.Combine(_catalog.Folder, "logistic-sweep.json"));
        File.WriteAllText(Path.Combine(_dir, "same.json"), original);
        File.WriteAllText(Path.Combine(_dir, "changed.json"), original.Replace("\"steps\": 5000", "\"steps\": 5001"));
        Assert.NotEqual(original, File.ReadAllText(Path.Combine(_dir, "changed.json")));
        string[] Hashes(string baseName) => Load(Write($$"""{ "base": "{{baseName}}", "seeds": 2 }""", baseName + "-sweep.json")).Cells.Select(c => c.Hash).ToArray();
        Assert.Equal(Hashes("logistic-sweep"), Hashes("same.json"));
        Assert.NotEqual(Hashes("logistic-sweep")[0], Hashes("changed.json")[0]);
    }

    [Theory]
    [InlineData("""{ "base": "logistic-sweep", "axis": [], "seeds": 2 }""", "axis")]
    [InlineData("""{ "base": "logistic-sweep", "axes": [ { "key": "rMin", "values": [] } ] }""", "rMin")]
    [InlineData("""{ "base": "logistic-sweep", "axes": [ { "zip": [ { "key": "rMin", "values": [2.5, 3] }, { "key": "x0", "values": [0.1] } ] } ] }""", "x0")]
    [InlineData("""{ "base": "logistic-sweep", "axes": [ { "key": "rMinn", "values": [2.5] } ] }""", "rMinn")]
    [InlineData("""{ "base": "logistic-sweep", "axes": [ { "key": "rMin", "values": [2.5, 5] } ] }""", "rMin")]
    [InlineData("""{ "base": "logistic-sweep", "overrides": { "stepz": 3 }, "seeds": 1 }""", "stepz")]
    [InlineData("""{ "base": "logistic-sweep" }""", "axes")]
    [InlineData("""{ "base": "no-such-experiment", "seeds": 1 }""", "base")]
    public void MistakesNameTheSweepFileAndTheKey(string json, string key)
    {
        var path = Write(json);
        var e = Assert.Throws<ConfigException>(() => Load(path));
        Assert.Equal(path, e.File);
        Assert.Contains($"key '{key}", e.Message);
    }
}

/// <summary>Status and merge on planted cell folders (no runs): a complete cell, a failed one, a stale one, a dead partial one, missing ones.</summary>
[Collection(ConsoleCollection.Name)]
public sealed class SweepStatusTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("sweep-status-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    [Fact]
    public void StatusAndMergeNameFailedStaleAndMissingCells()
    {
        var services = new ServiceCollection().AddLogging().AddTrajectoryLab().BuildServiceProvider();
        var sweep = Path.Combine(_dir, "planted.json");
        File.WriteAllText(sweep, """{ "base": "logistic-sweep", "seeds": 5 }""");
        var plan = SweepPlan.Load(sweep, services.GetRequiredService<ExperimentCatalog>(), k => services.GetRequiredService<ExperimentRegistry>().Find(k)?.OptionsType);
        var folder = Path.Combine(_dir, "out");
        SweepFolder.WritePlan(plan, folder);
        var cells = SweepFolder.Cells(folder);
        void Plant(string name, string manifest, string? hash)
        {
            Directory.CreateDirectory(Path.Combine(cells, name));
            File.WriteAllText(Path.Combine(cells, name, "manifest.json"), manifest);
            if (hash is not null) File.WriteAllText(Path.Combine(cells, name, "cell.json"), $$"""{ "index": 0, "id": "x", "hash": "{{hash}}", "status": "completed" }""");
        }
        Plant(plan.Cells[0].Id, """{ "status": "completed", "headline": { "λ": 0.5, "verdict": "ok" } }""", plan.Cells[0].Hash);
        Plant(plan.Cells[1].Id + ".failed-123", """{ "status": "failed", "error": "System.InvalidOperationException: boom\n   at somewhere" }""", null);
        Plant(plan.Cells[2].Id, """{ "status": "completed", "headline": {} }""", "ffffffffffffffff");
        Plant(plan.Cells[3].Id + ".partial-99999", """{ "status": "running" }""", null);

        var states = SweepStatus.Compute(plan, folder);
        Assert.Equal([CellState.Done, CellState.Failed, CellState.Stale, CellState.Missing, CellState.Missing], states.Select(s => s.State));
        Assert.Equal("System.InvalidOperationException: boom", states[1].Detail);

        var (code, stdout, stderr) = CliHost.Run("sweep", "merge", folder);
        Assert.True(code == 0, stderr);
        Assert.Contains("merged 1 of 5 cells (4 not complete)", stdout);
        var report = File.ReadAllText(Path.Combine(folder, "report.md"));
        foreach (var c in plan.Cells.Skip(1)) Assert.Contains(c.Id, report);
        Assert.Contains("boom", report);
        Assert.Equal("index,id,hash,seed,λ,verdict", File.ReadLines(Path.Combine(folder, "merged.csv")).First());
    }
}

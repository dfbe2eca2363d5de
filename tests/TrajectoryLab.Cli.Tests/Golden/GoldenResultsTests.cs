// The golden comparison itself can fail: a moved headline, a changed table sum, a new non-finite value, a vanished
// headline are each named; a change inside the tolerance is not. Writing keeps an instruction set's own file only where
// its numbers differ from the common file beyond the tolerance.
using System.Text.Json.Nodes;

namespace TrajectoryLab.Cli.Tests.Golden;

public sealed class GoldenResultsTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("tlab-golden-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    JsonObject Run(double lambda, string loops, double[] column)
    {
        File.WriteAllText(Path.Combine(_folder, "manifest.json"), new JsonObject
        {
            ["headline"] = new JsonObject { ["λ1"] = lambda, ["loops"] = loops, ["ms per step"] = Random.Shared.NextDouble() },
        }.ToJsonString());
        File.WriteAllText(Path.Combine(_folder, "t.csv"), "step,value,wall_seconds\n" + string.Join("\n", column.Select((v, i) =>
            FormattableString.Invariant($"{i},{v:R},{Random.Shared.NextDouble()}"))) + "\n");
        return GoldenResults.Observe(_folder);
    }

    [Fact]
    public void EveryChangeBeyondTheToleranceIsNamedAndTimingsAreIgnored()
    {
        var golden = Run(0.4195, "3/4", [1, 2, 3]);
        Assert.Empty(GoldenResults.Differences(golden, Run(0.4195 * (1 + 1e-6), "3/4", [1, 2, 3 + 1e-7])));

        var moved = GoldenResults.Differences(golden, Run(-0.4195, "4/4", [1, 2, double.NaN]));
        Assert.Contains("  headline 'λ1': 0.4195, now -0.4195", moved);
        Assert.Contains("  headline 'loops': '3/4', now '4/4'", moved);
        Assert.Contains("  table column 't.csv:value': 0 non-finite values, now 1", moved);
        Assert.Equal(3, moved.Count);

        var observed = Run(0.4195, "3/4", [1, 2, 3]);
        observed["headline"]!.AsObject().Remove("loops");
        Assert.Equal(["  headline 'loops': gone"], GoldenResults.Differences(golden, observed));
    }

    [Fact]
    public void AnInstructionSetsOwnFileIsWrittenOnlyWhereItsNumbersDiffer()
    {
        string common = Path.Combine(_folder, "e.json"),
            own = Path.Combine(_folder, "avx2", "e.json");
        var golden = Run(0.4195, "3/4", [1, 2, 3]);
        GoldenResults.Write(golden, common, own: null); // an AVX-512 CPU writes the common file
        Assert.True(File.Exists(common));
        Assert.False(File.Exists(own));

        GoldenResults.Write(Run(0.4195 * (1 + 1e-6), "3/4", [1, 2, 3]), common, own); // within the tolerance: no own file
        Assert.False(File.Exists(own));

        GoldenResults.Write(Run(0.43, "3/4", [1, 2, 3]), common, own); // beyond it: the own file, the common one unchanged
        Assert.True(File.Exists(own));
        Assert.Empty(GoldenResults.Differences(JsonNode.Parse(File.ReadAllText(common))!, golden));

        GoldenResults.Write(Run(0.4195, "3/4", [1, 2, 3]), common, own); // agrees again: the stale own file goes
        Assert.False(File.Exists(own));
    }
}

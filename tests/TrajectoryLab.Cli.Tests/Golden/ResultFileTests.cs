// A result round-trips through result.json and result.safetensors: large arrays leave the JSON for tensors (bit for bit,
// NaN and infinities included), small ones stay inline, and a result that refers to a missing tensor is refused.
namespace TrajectoryLab.Cli.Tests.Golden;

public sealed class ResultFileTests : IDisposable
{
    readonly string _folder = Directory.CreateTempSubdirectory("tlab-result-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    public sealed record Trace(string Name, double[] Values, float[] Half, int[] Ids, double[][] Rows);

    [Fact]
    public void LargeArraysGoToSafetensorsAndComeBackBitForBit()
    {
        var big = Enumerable.Range(0, 5000).Select(i => Math.Sin(i) * 1e-300 * (i % 7)).ToArray();
        big[3] = double.NaN;
        big[4] = double.NegativeInfinity;
        var trace = new Trace("x", big, [.. Enumerable.Range(0, 4096).Select(i => (float)i / 3)], [1, 2, 3], [[0.5, double.PositiveInfinity], big]);
        ResultFile.Save(_folder, trace, typeof(Trace));

        var json = File.ReadAllText(Path.Combine(_folder, ResultFile.FileName));
        Assert.True(File.Exists(Path.Combine(_folder, ResultFile.ArraysFileName)));
        Assert.True(json.Length < 2000, $"result.json holds {json.Length} characters");
        Assert.Contains("\"ids\":[1,2,3]", json);
        Assert.Contains("\"Infinity\"", json); // the small row stays inline, its infinity named

        var back = (Trace)ResultFile.Load(_folder, typeof(Trace));
        Assert.Equal(big.Select(BitConverter.DoubleToInt64Bits), back.Values.Select(BitConverter.DoubleToInt64Bits));
        Assert.Equal(trace.Half, back.Half);
        Assert.Equal(trace.Ids, back.Ids);
        Assert.Equal(double.PositiveInfinity, back.Rows[0][1]);
        Assert.Equal(big.Select(BitConverter.DoubleToInt64Bits), back.Rows[1].Select(BitConverter.DoubleToInt64Bits));

        File.Delete(Path.Combine(_folder, ResultFile.ArraysFileName));
        var e = Assert.Throws<InvalidDataException>(() => ResultFile.Load(_folder, typeof(Trace)));
        Assert.Contains("result.safetensors", e.Message);

        ResultFile.Save(_folder, trace with { Values = [1], Half = [], Rows = [] }, typeof(Trace)); // nothing large any more
        Assert.False(File.Exists(Path.Combine(_folder, ResultFile.ArraysFileName)));
    }
}

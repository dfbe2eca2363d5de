// A bad tuned-lens file fails lens before any run folder exists, in one line naming the key and the file: a truncated
// file, and a lens whose translator holds a NaN (named by its tensor). Reference: docs/lens.md.
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Cli.Tests.Measurements;

[Collection(ConsoleCollection.Name)]
public sealed class LensPreflightTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("tlab-lens-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    static string ShippedLens =>
        Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!, "models", "brown-small", "tuned-lens.safetensors");

    void AssertRefusedBeforeAnyRun(string lens, string expected)
    {
        var results = Path.Combine(_root, "results");
        var (code, stdout, stderr) = CliHost.Run("run", "lens", "--results", results, "--set", $"tunedLens:path={lens}");
        Assert.True(code == 2, $"exit {code}: {stderr}");
        var line = Assert.Single(stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries));
        Assert.Contains("'tunedLens:path'", line);
        Assert.Contains(expected, line);
        Assert.DoesNotContain("   at ", stderr);
        Assert.Equal("", stdout);
        Assert.False(Directory.Exists(Path.Combine(results, "lens")), "no run folder may be created");
    }

    [Fact]
    public void ATruncatedLensIsRefusedBeforeAnyRunFolderExists()
    {
        var lens = Path.Combine(_root, "truncated.safetensors");
        File.WriteAllBytes(lens, File.ReadAllBytes(ShippedLens)[..5000]);
        AssertRefusedBeforeAnyRun(lens, "truncated");
    }

    [Fact]
    public void ALensWithANaNIsRefusedNamingTheTensor()
    {
        const int sites = 7, width = 256; // brown-small: 6 blocks, d_model 256
        var writer = new SafetensorsWriter();
        for (var s = 0; s < sites; s++)
        {
            var a = new float[width * width];
            if (s == 3)
                a[17] = float.NaN;
            writer.Add($"translators.{s}.weight", a, width, width).Add($"translators.{s}.bias", new float[width], width);
        }
        var lens = Path.Combine(_root, "nan.safetensors");
        writer.Save(lens);
        AssertRefusedBeforeAnyRun(lens, "translators.3.weight");
    }
}

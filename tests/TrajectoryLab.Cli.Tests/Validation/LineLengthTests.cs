// No line of src/ is longer than 140 characters (the width CSharpier formats to, .csharpierrc.yaml), so every file reads
// without scrolling; comments included.
namespace TrajectoryLab.Cli.Tests.Validation;

public sealed class LineLengthTests
{
    [Fact]
    public void NoSourceLineIsLongerThan140Characters()
    {
        var src = Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!, "src");
        var files = Directory.EnumerateFiles(src, "*.cs", SearchOption.AllDirectories)
            .Where(f => !f.Contains($"{Path.DirectorySeparatorChar}obj{Path.DirectorySeparatorChar}", StringComparison.Ordinal)
                        && !f.Contains($"{Path.DirectorySeparatorChar}bin{Path.DirectorySeparatorChar}", StringComparison.Ordinal))
            .ToList();
        Assert.True(files.Count > 100, $"only {files.Count} source files found under {src}");
        var tooLong = files.SelectMany(f => File.ReadAllLines(f).Select((line, i) => (File: Path.GetRelativePath(src, f), Line: i + 1, line.Length)))
            .Where(l => l.Length > 140).Select(l => $"{l.File}:{l.Line} ({l.Length})").ToList();
        Assert.Equal("", string.Join(", ", tooLong));
    }
}

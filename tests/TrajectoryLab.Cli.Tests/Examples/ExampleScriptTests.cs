// The scripts in examples/ run as .NET file-based apps (`dotnet run examples/<name>.cs`) against this checkout and
// print plausible numbers: the public API they use is the one a researcher's own script would.
using System.Diagnostics;
using System.Globalization;
using System.Text.RegularExpressions;

namespace TrajectoryLab.Cli.Tests.Examples;

public sealed class ExampleScriptTests
{
    static string Root => Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!;

    static string Run(string script, params string[] args)
    {
        var start = new ProcessStartInfo("dotnet") { WorkingDirectory = Root, RedirectStandardOutput = true, RedirectStandardError = true };
        foreach (var a in (string[])["run", Path.Combine("examples", script), "--", .. args]) start.ArgumentList.Add(a);
        using var process = Process.Start(start)!;
        var stdout = process.StandardOutput.ReadToEndAsync();
        var stderr = process.StandardError.ReadToEndAsync();
        Assert.True(process.WaitForExit(TimeSpan.FromMinutes(10)), $"{script} did not finish in 10 minutes");
        Assert.True(process.ExitCode == 0, $"{script} exited {process.ExitCode}: {stderr.Result}\n{stdout.Result}");
        return stdout.Result;
    }

    static double Number(string text) => double.Parse(text, CultureInfo.InvariantCulture);

    [Fact]
    public void EveryExampleRunsAndPrintsPlausibleNumbers()
    {
        Assert.Equal(["entropy-profile-of-a-text.cs", "lambda1-of-a-model.cs", "rank-by-layer.cs"],
            Directory.GetFiles(Path.Combine(Root, "examples"), "*.cs").Select(Path.GetFileName).Order(StringComparer.Ordinal));

        var lambda = Regex.Match(Run("lambda1-of-a-model.cs"), @"λ1 = (-?\d+\.\d+) nats/token over 22 tokens");
        Assert.True(lambda.Success, "no λ1 line");
        Assert.InRange(Number(lambda.Groups[1].Value), -1, 1); // the trained model's λ1 is near zero (README: −0.011 per token)

        var profile = Run("entropy-profile-of-a-text.cs", "The jury said it was over.").Split('\n', StringSplitOptions.RemoveEmptyEntries);
        var entropies = profile.Skip(1).Select(l => Regex.Match(l, @"\s(\d+\.\d{3})(\s|$)")).Where(m => m.Success).Select(m => Number(m.Groups[1].Value)).ToArray();
        Assert.True(entropies.Length >= 6, string.Join("\n", profile));
        Assert.All(entropies, h => Assert.InRange(h, 0, Math.Log(4096)));

        var ranks = Run("rank-by-layer.cs").Split('\n').Where(l => l.StartsWith("blocks.", StringComparison.Ordinal) || l.StartsWith("hook_embed", StringComparison.Ordinal)).ToArray();
        Assert.Equal(7, ranks.Length); // embeddings and six blocks
        foreach (var line in ranks)
        {
            var cells = line.Split(' ', StringSplitOptions.RemoveEmptyEntries);
            Assert.InRange(Number(cells[1]), 1, 256);
            Assert.InRange(Number(cells[2]), 0, 1);
        }
    }
}

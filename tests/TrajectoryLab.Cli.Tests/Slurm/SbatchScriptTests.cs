// The sbatch script's text: #SBATCH lines present only when asked for, %C only with MaxConcurrent, arguments
// quoted so that spaces, quotes and $ survive bash (checked by running bash on the rendered command), and
// invalid options rejected with the option's name.
using System.Diagnostics;
using TrajectoryLab.Cli.Sweeps.Slurm;

namespace TrajectoryLab.Cli.Tests.Slurm;

public sealed class SbatchScriptTests
{
    static readonly Dictionary<string, string> NoExports = [];

    static string Build(SlurmOptions options, int cells = 8, params string[] command) =>
        SbatchScript.Build(cells, options, command.Length == 0 ? ["trajectorylab", "sweep", "cell", "s.json", "--index", "{index}"] : command,
            "/tmp/logs", "/work/dir", NoExports);

    [Fact]
    public void TheDefaultScriptHasTheArrayLogsAndCommand()
    {
        var text = Build(new SlurmOptions(JobName: "grid"));
        Assert.StartsWith("#!/bin/bash\n", text);
        Assert.Contains("#SBATCH --job-name=grid\n", text);
        Assert.Contains("#SBATCH --array=0-7\n", text);
        Assert.Contains("#SBATCH --output=/tmp/logs/%A_%a.out\n", text);
        Assert.Contains("#SBATCH --error=/tmp/logs/%A_%a.err\n", text);
        Assert.Contains("#SBATCH --cpus-per-task=1\n", text);
        Assert.Contains("set -euo pipefail\nexport OMP_NUM_THREADS=\"${OMP_NUM_THREADS:-${SLURM_CPUS_PER_TASK:-1}}\"\ncd '/work/dir'\n", text);
        Assert.EndsWith("exec 'trajectorylab' 'sweep' 'cell' 's.json' '--index' \"$SLURM_ARRAY_TASK_ID\"\n", text);
        Assert.DoesNotContain("--partition", text);
        Assert.DoesNotContain("--time", text);
        Assert.DoesNotContain("gpu", text);
        Assert.Single(text.Split('\n'), l => l.StartsWith("export ", StringComparison.Ordinal)); // only the thread count
    }

    [Fact]
    public void EveryOptionBecomesItsLineBeforeTheFirstCommand()
    {
        var text = Build(new SlurmOptions("j", "gpu-a100", GpusPerTask: 2, CpusPerTask: 8, Time: "1-12:00:00", MaxConcurrent: 3,
            ExtraSbatch: ["#SBATCH --mem=16G"]), cells: 100);
        Assert.Contains("#SBATCH --array=0-99%3\n", text);
        Assert.Contains("#SBATCH --partition=gpu-a100\n", text);
        Assert.Contains("#SBATCH --ntasks=1\n", text); // --gpus-per-task needs a task count (sbatch 22.05 refuses it without)
        Assert.Contains("#SBATCH --gpus-per-task=2\n", text);
        Assert.Contains("#SBATCH --cpus-per-task=8\n", text);
        Assert.Contains("#SBATCH --time=1-12:00:00\n", text);
        Assert.Contains("#SBATCH --mem=16G\n", text);
        var lines = text.Split('\n');
        var lastSbatch = Array.FindLastIndex(lines, l => l.StartsWith("#SBATCH", StringComparison.Ordinal));
        var firstCommand = Array.FindIndex(lines, 1, l => l.Length > 0 && !l.StartsWith('#'));
        Assert.True(lastSbatch < firstCommand, "sbatch ignores #SBATCH lines after the first command");
    }

    [Fact]
    public void OneCellIsArrayZeroToZero() =>
        Assert.Contains("#SBATCH --array=0-0\n", Build(new SlurmOptions(), cells: 1));

    [Fact]
    public void ExportsAreQuoted()
    {
        var text = SbatchScript.Build(2, new SlurmOptions(), ["x"], "/l", "/w", new Dictionary<string, string> { ["TRAJECTORYLAB_ROOT"] = "/a b/it's" });
        Assert.Contains("export TRAJECTORYLAB_ROOT='/a b/it'\\''s'\n", text);
    }

    [Theory]
    [InlineData("plain")]
    [InlineData("two words")]
    [InlineData("it's")]
    [InlineData("'")]
    [InlineData("$HOME and `date` and $(id) and \"dq\" and \\ and !x and *")]
    [InlineData("")]
    [InlineData("new\nline")]
    public void BashReceivesEachArgumentUnchanged(string argument)
    {
        var rendered = SbatchScript.RenderArgument(argument);
        Assert.Equal(argument, Bash($"printf '%s' {rendered}", index: "5"));
    }

    [Fact]
    public void TheIndexTokenBecomesTheTaskIdInsideAnArgument()
    {
        Assert.Equal("\"$SLURM_ARRAY_TASK_ID\"", SbatchScript.RenderArgument("{index}"));
        Assert.Equal("out/7.txt", Bash($"printf '%s' {SbatchScript.RenderArgument("out/{index}.txt")}", index: "7"));
        Assert.Equal("$SLURM_ARRAY_TASK_ID 7", Bash($"printf '%s' {SbatchScript.RenderArgument("$SLURM_ARRAY_TASK_ID {index}")}", index: "7"));
    }

    [Theory]
    [InlineData("JobName", "has space")]
    [InlineData("Partition", "a b")]
    [InlineData("Time", "2h")]
    [InlineData("Time", "1:2:3:4")]
    [InlineData("Time", "-5")]
    [InlineData("GpusPerTask", "-1")]
    [InlineData("CpusPerTask", "0")]
    [InlineData("MaxConcurrent", "0")]
    [InlineData("ExtraSbatch", "--mem=1G")]
    [InlineData("ExtraSbatch", "#SBATCH --mem=1G\necho hi")]
    public void AnInvalidOptionIsNamed(string option, string value)
    {
        var options = option switch
        {
            "JobName" => new SlurmOptions(JobName: value),
            "Partition" => new SlurmOptions(Partition: value),
            "Time" => new SlurmOptions(Time: value),
            "GpusPerTask" => new SlurmOptions(GpusPerTask: int.Parse(value, System.Globalization.CultureInfo.InvariantCulture)),
            "CpusPerTask" => new SlurmOptions(CpusPerTask: int.Parse(value, System.Globalization.CultureInfo.InvariantCulture)),
            "MaxConcurrent" => new SlurmOptions(MaxConcurrent: int.Parse(value, System.Globalization.CultureInfo.InvariantCulture)),
            _ => new SlurmOptions(ExtraSbatch: [value]),
        };
        var e = Assert.ThrowsAny<ArgumentException>(() => Build(options));
        Assert.Equal(option, e.ParamName);
        Assert.Contains(option, e.Message);
    }

    [Theory]
    [InlineData("90")]
    [InlineData("90:30")]
    [InlineData("2:00:00")]
    [InlineData("1-12")]
    [InlineData("1-12:30")]
    [InlineData("7-00:00:00")]
    [InlineData("UNLIMITED")]
    public void SlurmTimeFormatsAreAccepted(string time) => Assert.True(SlurmOptions.IsValidTime(time));

    [Theory]
    [InlineData(0, "cellCount")]
    [InlineData(-3, "cellCount")]
    public void ZeroCellsIsRejected(int cells, string name) =>
        Assert.Equal(name, Assert.ThrowsAny<ArgumentException>(() => Build(new SlurmOptions(), cells)).ParamName);

    [Theory]
    [InlineData("/tmp/my logs")]
    [InlineData("/tmp/100%")]
    [InlineData("")]
    public void ALogFolderSbatchCannotParseIsRejected(string logFolder) =>
        Assert.Equal("logFolder", Assert.ThrowsAny<ArgumentException>(() =>
            SbatchScript.Build(1, new SlurmOptions(), ["x"], logFolder, "/w", NoExports)).ParamName);

    [Fact]
    public void AnEmptyCommandIsRejected() =>
        Assert.Equal("cellCommand", Assert.Throws<ArgumentException>(() =>
            SbatchScript.Build(1, new SlurmOptions(), [], "/l", "/w", NoExports)).ParamName);

    [Fact]
    public void WriteCreatesTheLogFolderAndAnExecutableScript()
    {
        var folder = Path.Combine(Path.GetTempPath(), "tl-sbatch-" + Guid.NewGuid().ToString("N"));
        try
        {
            var path = Path.Combine(folder, "job.sbatch");
            var text = SbatchScript.Write(path, 3, new SlurmOptions(), ["true"], Path.Combine(folder, "logs"), folder, NoExports);
            Assert.Equal(text, File.ReadAllText(path));
            Assert.True(Directory.Exists(Path.Combine(folder, "logs")));
            if (!OperatingSystem.IsWindows()) Assert.True((File.GetUnixFileMode(path) & UnixFileMode.UserExecute) != 0);
            Assert.Empty(Directory.GetFiles(folder, "*.tmp"));
        }
        finally
        {
            Directory.Delete(folder, recursive: true);
        }
    }

    static string Bash(string script, string index)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true };
        info.ArgumentList.Add("-c");
        info.ArgumentList.Add(script);
        info.Environment["SLURM_ARRAY_TASK_ID"] = index;
        using var p = Process.Start(info)!;
        var output = p.StandardOutput.ReadToEnd();
        p.WaitForExit();
        Assert.True(p.ExitCode == 0, p.StandardError.ReadToEnd());
        return output;
    }
}

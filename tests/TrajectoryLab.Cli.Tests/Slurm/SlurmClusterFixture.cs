// One real single-node Slurm cluster (tests/slurm/cluster.sh: munged + slurmctld + slurmd on localhost) shared by
// every test class in the "slurm cluster" collection: started once before the first of them, stopped after the last.
// Where this machine cannot run Slurm (not Linux, not root, neither Slurm nor apt-get), [SlurmFact] skips the
// tests with the reason at discovery time; under CI=true they are never skipped, so a missing cluster fails loudly.
using System.Diagnostics;

namespace TrajectoryLab.Cli.Tests.Slurm;

/// <summary>The collection whose tests share one <see cref="SlurmClusterFixture"/>.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class SlurmClusterCollection : ICollectionFixture<SlurmClusterFixture>
{
    public const string Name = "slurm cluster";
}

/// <summary>Whether this machine can have the test cluster, decided without starting anything.</summary>
public static class SlurmEnvironment
{
    /// <summary>Why the cluster cannot be started here, or null when it can (or should: under CI it is always tried).</summary>
    public static string? Problem()
    {
        if (!OperatingSystem.IsLinux()) return "the Slurm test cluster needs Linux";
        if (Environment.UserName != "root" && !IsRoot()) return "the Slurm test cluster needs root (to install Slurm and start slurmctld/slurmd)";
        if (!OnPath("slurmctld") && !OnPath("apt-get")) return "Slurm is not installed and there is no apt-get to install it";
        if (!OnPath("bash")) return "tests/slurm/cluster.sh needs bash";
        return null;
    }

    /// <summary>Whether CI=true, where a test that needs the cluster must run (and fail if it cannot).</summary>
    public static bool UnderCi => string.Equals(Environment.GetEnvironmentVariable("CI"), "true", StringComparison.OrdinalIgnoreCase);

    static bool IsRoot()
    {
        try
        {
            // the effective uid is the second number of the "Uid:" line of /proc/self/status
            var uid = File.ReadLines("/proc/self/status").First(l => l.StartsWith("Uid:", StringComparison.Ordinal))
                .Split((char[]?)null, StringSplitOptions.RemoveEmptyEntries)[2];
            return uid == "0";
        }
        catch (IOException)
        {
            return false;
        }
    }

    static bool OnPath(string program) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "").Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Concat(["/usr/sbin", "/sbin"]).Any(folder => File.Exists(Path.Combine(folder, program)));
}

/// <summary>A fact that needs the Slurm test cluster: skipped with the reason where it cannot exist, except under CI=true.</summary>
public sealed class SlurmFactAttribute : FactAttribute
{
    public SlurmFactAttribute()
    {
        if (!SlurmEnvironment.UnderCi && SlurmEnvironment.Problem() is string problem)
            Skip = problem + " (set CI=true to make this a failure instead of a skip)";
    }
}

/// <summary>Starts the test cluster in its constructor and stops it in <see cref="Dispose"/>.</summary>
public sealed class SlurmClusterFixture : IDisposable
{
    readonly string script;
    readonly bool started;

    /// <summary>The folder that holds slurm.conf, the daemons' state and logs.</summary>
    public string StateFolder { get; } = Path.Combine(Path.GetTempPath(), "trajectorylab-slurm-tests");

    /// <summary>The cluster's slurm.conf (for SLURM_CONF), or null when it is not running.</summary>
    public string? SlurmConf { get; }

    /// <summary>Why the cluster is not running, or null when it is.</summary>
    public string? SkipReason { get; }

    /// <summary>What cluster.sh start printed on stderr (its phase times).</summary>
    public string StartLog { get; } = "";

    public SlurmClusterFixture()
    {
        script = Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT") ?? ".", "tests", "slurm", "cluster.sh");
        if (SlurmEnvironment.Problem() is string problem) { SkipReason = problem; return; }
        if (!File.Exists(script)) { SkipReason = $"{script} is missing"; return; }
        var (code, stdout, stderr) = RunScript("start", TimeSpan.FromMinutes(5));
        StartLog = stderr;
        started = true; // even a failed start may have left daemons running: Dispose stops them
        var conf = stdout.Split('\n').Select(l => l.Trim()).LastOrDefault(l => l.StartsWith("SLURM_CONF=", StringComparison.Ordinal));
        if (code != 0 || conf is null)
            SkipReason = $"tests/slurm/cluster.sh start failed (exit code {code}): {stderr.Trim()}";
        else
            SlurmConf = conf["SLURM_CONF=".Length..];
    }

    /// <summary>Fails the calling test with <see cref="SkipReason"/> when the cluster is not running.</summary>
    /// <remarks>[SlurmFact] already skipped the test where the machine cannot have Slurm; getting here without a cluster
    /// means the start failed where it should have worked (or CI=true on a machine without Slurm), which is a failure.</remarks>
    public string RequireCluster() =>
        SlurmConf ?? throw new Xunit.Sdk.XunitException("the Slurm test cluster is not running: " + SkipReason);

    public void Dispose()
    {
        if (!started) return;
        var (code, _, stderr) = RunScript("stop", TimeSpan.FromSeconds(60));
        if (code != 0) Console.Error.WriteLine($"tests/slurm/cluster.sh stop failed (exit code {code}): {stderr.Trim()}");
    }

    (int Code, string Stdout, string Stderr) RunScript(string action, TimeSpan timeout)
    {
        var info = new ProcessStartInfo("bash") { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in new[] { script, action, StateFolder }) info.ArgumentList.Add(a);
        using var p = Process.Start(info)!;
        var stdout = p.StandardOutput.ReadToEndAsync();
        var stderr = p.StandardError.ReadToEndAsync();
        if (!p.WaitForExit(timeout))
        {
            p.Kill(entireProcessTree: true);
            p.WaitForExit();
            return (-1, stdout.Result, $"timed out after {timeout.TotalSeconds} s; " + stderr.Result);
        }
        p.WaitForExit();
        return (p.ExitCode, stdout.Result, stderr.Result);
    }
}

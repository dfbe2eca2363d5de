// What produced a run: the git commit, the machine and the library versions (recorded in manifest.json).
using System.Diagnostics;
using System.Reflection;
using System.Runtime.InteropServices;

namespace TrajectoryLab.Cli.Runs;

/// <summary>The git state of the checkout a run came from.</summary>
public sealed record GitInfo(string? Commit, bool? Dirty);

/// <summary>The machine a run ran on.</summary>
public sealed record MachineInfo(string Host, string Os, string Architecture, int Cores, string? Cpu, double MemoryGiB);

/// <summary>Versions of the tool, the runtime and the libraries whose numbers matter.</summary>
public sealed record VersionInfo(string TrajectoryLab, string Dotnet, IReadOnlyDictionary<string, string> Libraries);

/// <summary>Collects provenance without failing a run: anything it cannot read is recorded as null.</summary>
public static class Provenance
{
    /// <summary>The commit of the repository at <paramref name="repoRoot"/> and whether the work tree differs from it.</summary>
    public static GitInfo Git(string repoRoot)
    {
        var commit = RunGit(repoRoot, "rev-parse HEAD")?.Trim();
        var status = commit is null ? null : RunGit(repoRoot, "status --porcelain --untracked-files=no");
        return new GitInfo(commit, status is null ? null : status.Trim().Length > 0);
    }

    /// <summary>Host name, OS, core count, CPU model (from /proc/cpuinfo when present) and memory.</summary>
    public static MachineInfo Machine()
    {
        string? cpu = null;
        try
        {
            cpu = File.Exists("/proc/cpuinfo")
                ? File.ReadLines("/proc/cpuinfo")
                    .FirstOrDefault(l => l.StartsWith("model name", StringComparison.Ordinal))
                    ?.Split(':', 2)[1]
                    .Trim()
                : null;
        }
        catch (IOException) { }
        var memory = GC.GetGCMemoryInfo().TotalAvailableMemoryBytes / (double)(1L << 30);
        return new MachineInfo(
            Environment.MachineName,
            RuntimeInformation.OSDescription,
            RuntimeInformation.OSArchitecture.ToString(),
            Environment.ProcessorCount,
            cpu,
            Math.Round(memory, 1)
        );
    }

    /// <summary>The tool's version, the .NET runtime, and the versions of the assemblies of <paramref name="libraries"/>.</summary>
    public static VersionInfo Versions(params Type[] libraries)
    {
        var versions = libraries.Select(t => t.Assembly).Distinct().ToDictionary(a => a.GetName().Name!, InformationalVersion);
        // Which libtorch the numbers came from: the bundled one of the build's backend, or the folder an external build loaded.
        versions["libtorch"] = TrajectoryLab.Torch.Native.LibTorchLoader.Loaded
            ?? $"bundled ({TrajectoryLab.Torch.Native.LibTorchLoader.Backend} backend)";
        return new(InformationalVersion(typeof(Provenance).Assembly), RuntimeInformation.FrameworkDescription, versions);
    }

    static string InformationalVersion(Assembly a) =>
        a.GetCustomAttribute<AssemblyInformationalVersionAttribute>()?.InformationalVersion.Split('+')[0]
        ?? a.GetName().Version?.ToString()
        ?? "unknown";

    static string? RunGit(string dir, string arguments)
    {
        try
        {
            using var p = Process.Start(
                new ProcessStartInfo("git", arguments)
                {
                    WorkingDirectory = dir,
                    RedirectStandardOutput = true,
                    RedirectStandardError = true,
                    UseShellExecute = false,
                }
            );
            if (p is null)
                return null;
            var output = p.StandardOutput.ReadToEnd();
            p.WaitForExit(5000);
            return p.ExitCode == 0 ? output : null;
        }
        catch (System.ComponentModel.Win32Exception)
        {
            return null; // no git on this machine
        }
    }
}

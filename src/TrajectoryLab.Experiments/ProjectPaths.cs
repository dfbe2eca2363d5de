// Where experiments and results live: found from the repository root, overridable by environment or flags.
namespace TrajectoryLab.Experiments;

/// <summary>The experiments folder and the results root used by the commands.</summary>
public sealed record ProjectPaths(string Root, string Experiments, string Results)
{
    /// <summary>
    /// Finds the repository root (TRAJECTORYLAB_ROOT, else the nearest folder above the current directory, or above the
    /// executable, that holds TrajectoryLab.sln); experiments/ and results/ are under it unless TRAJECTORYLAB_EXPERIMENTS /
    /// TRAJECTORYLAB_RESULTS or <paramref name="resultsOverride"/> say otherwise.
    /// </summary>
    public static ProjectPaths Discover(string? resultsOverride = null)
    {
        var root = Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")
            ?? FindRoot(Directory.GetCurrentDirectory())
            ?? FindRoot(AppContext.BaseDirectory)
            ?? Directory.GetCurrentDirectory();
        return new ProjectPaths(
            root,
            Environment.GetEnvironmentVariable("TRAJECTORYLAB_EXPERIMENTS") ?? Path.Combine(root, "experiments"),
            resultsOverride ?? Environment.GetEnvironmentVariable("TRAJECTORYLAB_RESULTS") ?? Path.Combine(root, "results")
        );
    }

    static string? FindRoot(string start)
    {
        for (var dir = new DirectoryInfo(start); dir is not null; dir = dir.Parent)
            if (File.Exists(Path.Combine(dir.FullName, "TrajectoryLab.sln")))
                return dir.FullName;
        return null;
    }
}

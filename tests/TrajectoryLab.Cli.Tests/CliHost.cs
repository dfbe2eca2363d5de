// Runs the command line in-process, as `trajectorylab ...` would, capturing stdout and stderr.
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Logging;

namespace TrajectoryLab.Cli.Tests;

/// <summary>Console capture is process-wide, so every test that uses it is in this one collection.</summary>
[CollectionDefinition(Name, DisableParallelization = true)]
public sealed class ConsoleCollection
{
    public const string Name = "console";
}

/// <summary>Points the tool at this checkout wherever the tests were built (e.g. with --artifacts-path outside it).</summary>
static class RepositoryRoot
{
    [System.Runtime.CompilerServices.ModuleInitializer]
    internal static void Set() =>
        Environment.SetEnvironmentVariable("TRAJECTORYLAB_ROOT", Path.GetFullPath(Path.Combine(Path.GetDirectoryName(ThisFile())!, "..", "..")));

    static string ThisFile([System.Runtime.CompilerServices.CallerFilePath] string path = "") => path;
}

/// <summary>The tool's services with a quiet logger; Run executes one command line.</summary>
public static class CliHost
{
    public static (int Code, string Out, string Err) Run(CancellationToken cancellation, params string[] args)
    {
        var services = new ServiceCollection().AddLogging(b => b.SetMinimumLevel(LogLevel.Warning)).AddTrajectoryLab().BuildServiceProvider();
        var (stdout, stderr) = (Console.Out, Console.Error);
        var (o, e) = (new StringWriter(), new StringWriter());
        Console.SetOut(o);
        Console.SetError(e);
        try
        {
            return (services.GetRequiredService<CommandLine>().Execute(args, cancellation), o.ToString(), e.ToString());
        }
        finally
        {
            Console.SetOut(stdout);
            Console.SetError(stderr);
        }
    }

    public static (int Code, string Out, string Err) Run(params string[] args) => Run(CancellationToken.None, args);
}

// A verb of the command line: `trajectorylab <name> ...`.
namespace TrajectoryLab.Cli.Commands;

/// <summary>One command of the tool.</summary>
public interface ICommand
{
    /// <summary>The verb, e.g. "run".</summary>
    string Name { get; }

    /// <summary>One line for the command list.</summary>
    string Summary { get; }

    /// <summary>The full help text printed by <c>trajectorylab &lt;name&gt; --help</c>.</summary>
    string Help { get; }

    /// <summary>Runs the command; returns the process exit code.</summary>
    int Execute(IReadOnlyList<string> args, CancellationToken cancellation);
}

/// <summary>Exit codes shared by all commands.</summary>
public static class ExitCodes
{
    public const int Ok = 0,
        Failed = 1,
        BadInput = 2,
        Cancelled = 130;
}

// Shared handling of usage errors and --help.
namespace TrajectoryLab.Cli.Commands;

/// <summary>Usage errors go to stderr with a pointer to the command's help.</summary>
public static class Usage
{
    /// <summary>True when the arguments ask for help.</summary>
    public static bool WantsHelp(IReadOnlyList<string> args) => args.Any(a => a is "--help" or "-h" or "help");

    /// <summary>Prints <paramref name="message"/> and a hint, and returns <see cref="ExitCodes.BadInput"/>.</summary>
    public static int Error(ICommand command, string message)
    {
        Console.Error.WriteLine($"trajectorylab {command.Name}: {message}");
        Console.Error.WriteLine($"see `trajectorylab {command.Name} --help`");
        return ExitCodes.BadInput;
    }
}

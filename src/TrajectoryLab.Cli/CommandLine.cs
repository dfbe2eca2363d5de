// Dispatches `trajectorylab <command> [args]` to the registered commands and prints the overview help.
using TrajectoryLab.Cli.Commands;

namespace TrajectoryLab.Cli;

/// <summary>The top-level command line: the verb picks a command; no verb or --help prints the overview.</summary>
public sealed class CommandLine(IEnumerable<ICommand> commands)
{
    readonly IReadOnlyList<ICommand> _commands = commands.ToList();

    /// <summary>Runs the command named by <paramref name="args"/>[0]; returns the exit code.</summary>
    public int Execute(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        Runs.ErrorLog.Verbose = args.Contains("--verbose");
        args = [.. args.Where(a => a != "--verbose")];
        try
        {
            return Dispatch(args, cancellation);
        }
        catch (Exception e) when (e is not OperationCanceledException)
        {
            // Nothing escapes as a stack trace: one line, the details in a log file (or here with --verbose).
            Console.Error.WriteLine($"trajectorylab: {Runs.ErrorLog.Describe(e)}");
            return ExitCodes.Failed;
        }
    }

    int Dispatch(IReadOnlyList<string> args, CancellationToken cancellation)
    {
        if (args.Count == 0 || args[0] is "--help" or "-h" or "help")
        {
            Console.WriteLine(Overview());
            return args.Count == 0 ? ExitCodes.BadInput : ExitCodes.Ok;
        }
        var command = _commands.FirstOrDefault(c => c.Name == args[0]);
        if (command is null)
        {
            Console.Error.WriteLine($"trajectorylab: unknown command '{args[0]}'\n\n{Overview()}");
            return ExitCodes.BadInput;
        }
        var rest = args.Skip(1).ToList();
        if (Usage.WantsHelp(rest))
        {
            Console.WriteLine(command.Help);
            return ExitCodes.Ok;
        }
        return command.Execute(rest, cancellation);
    }

    string Overview()
    {
        int width = _commands.Max(c => c.Name.Length);
        return "usage: trajectorylab <command> [arguments] [--verbose]   (trajectorylab <command> --help for details)\n\n"
            + "TrajectoryLab measures language-model generation as an iterated map h_{t+1} = g(h_t, x_t).\n\ncommands:\n"
            + string.Join("\n", _commands.Select(c => $"  {c.Name.PadRight(width)}  {c.Summary}"))
            + "\n\n--verbose prints a failure's whole exception; without it, the details go to a log file in the temp folder.";
    }
}

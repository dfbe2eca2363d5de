// Where a failure's details go: the console gets one line (what went wrong, and where the rest is); the full exception,
// stack trace included, goes to a log file in the system temp folder, or to the console too with --verbose.
using System.Globalization;

namespace TrajectoryLab.Cli.Runs;

/// <summary>Keeps stack traces off the console unless asked for.</summary>
public static class ErrorLog
{
    /// <summary>Set by the global --verbose flag: print full exceptions on the console as well.</summary>
    public static bool Verbose { get; set; }

    /// <summary>Writes <paramref name="error"/> whole to a new file in the temp folder and returns the file's path, or null
    /// when it could not be written.</summary>
    public static string? Write(Exception error)
    {
        try
        {
            var path = Path.Combine(
                Path.GetTempPath(),
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"trajectorylab-{DateTime.UtcNow:yyyyMMdd'T'HHmmss'Z'}-{Environment.ProcessId}-{Guid.NewGuid():N}.log"
                )
            );
            var timestamp = DateTime.UtcNow.ToString("u", CultureInfo.InvariantCulture);
            var arguments = string.Join(' ', Environment.GetCommandLineArgs().Skip(1));
            File.WriteAllText(path, $"{timestamp} trajectorylab {arguments}\n{error}\n");
            return path;
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            return null;
        }
    }

    /// <summary>The console text for <paramref name="error"/>: its message and where the details are (or, with
    /// <see cref="Verbose"/>, the whole exception).</summary>
    public static string Describe(Exception error)
    {
        if (Verbose)
            return error.ToString();
        var file = Write(error);
        return file is null ? error.Message : $"{error.Message} (details: {file}; --verbose prints them)";
    }
}

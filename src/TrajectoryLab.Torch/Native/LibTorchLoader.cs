// Loads an external libtorch named by TRAJECTORYLAB_LIBTORCH into the process before the first TorchSharp call, so that
// TorchSharp's own loader (which looks for "LibTorchSharp" by name in the application folder) finds the shim already
// loaded with its libtorch dependencies resolved. The plan and the messages come from LibTorchLocator; this file only
// performs NativeLibrary.Load and reports. Reference: System.Runtime.InteropServices.NativeLibrary (dlopen on Linux).
using System.Reflection;
using System.Runtime.InteropServices;

namespace TrajectoryLab.Torch.Native;

/// <summary>Loads the libtorch named by <see cref="LibTorchLocator.EnvironmentVariable"/>, if any (see the file header).</summary>
public static class LibTorchLoader
{
    /// <summary>The TorchBackend this assembly was built with (cpu, cuda or external; build/TorchBackend.targets).</summary>
    public static string Backend { get; } =
        typeof(LibTorchLoader).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>().FirstOrDefault(a => a.Key == "TorchBackend")?.Value
        ?? "cpu";

    /// <summary>The line describing the external libtorch loaded, or null when TorchSharp loads its bundled one.</summary>
    public static string? Loaded { get; private set; }

    /// <summary>
    /// Loads the external libtorch if the variable is set; call first thing, before any TorchSharp call.
    /// Writes one line saying which libtorch was loaded, or the reason it could not be.
    /// </summary>
    /// <param name="log">Where the line goes (standard error in the CLI).</param>
    /// <returns>False when loading failed or is needed but impossible (the caller should exit); true otherwise.</returns>
    public static bool TryLoadFromEnvironment(TextWriter log)
    {
        try
        {
            var folder = Environment.GetEnvironmentVariable(LibTorchLocator.EnvironmentVariable);
            if (folder is null)
            {
                if (Backend != "external")
                    return true; // TorchSharp-cpu / -cuda bring their own libtorch
                throw new LibTorchLoadException(LibTorchLocator.MissingVariableMessage(AppContext.BaseDirectory));
            }
            var plan = LibTorchLocator.Plan(folder, AppContext.BaseDirectory, Directory.Exists, File.Exists);
            foreach (var library in plan.Libraries.Append(plan.Shim))
            {
                try
                {
                    NativeLibrary.Load(library);
                }
                catch (DllNotFoundException e)
                {
                    throw new LibTorchLoadException(LibTorchLocator.DescribeLoadFailure(folder, library, e.Message));
                }
            }
            var versionPy = Path.Combine(plan.Folder, "..", "version.py");
            Loaded = LibTorchLocator.Describe(
                plan,
                LibTorchLocator.TorchVersion(File.Exists(versionPy) ? File.ReadAllText(versionPy) : null)
            );
            log.WriteLine($"trajectorylab: {Loaded}");
            return true;
        }
        catch (LibTorchLoadException e)
        {
            log.WriteLine($"trajectorylab: {e.Message}");
            return false;
        }
    }
}

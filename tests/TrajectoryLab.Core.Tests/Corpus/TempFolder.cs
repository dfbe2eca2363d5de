// A temporary folder deleted at the end of a test.
namespace TrajectoryLab.Core.Tests.Corpus;

internal sealed class TempFolder : IDisposable
{
    public string Path { get; } = Directory.CreateTempSubdirectory("tlab-corpus-").FullName;

    public string File(string name) => System.IO.Path.Combine(Path, name);

    public void Dispose() => Directory.Delete(Path, recursive: true);
}

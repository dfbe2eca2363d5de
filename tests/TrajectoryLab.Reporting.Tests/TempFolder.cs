// A fresh folder under the system temp directory, deleted on dispose.
namespace TrajectoryLab.Reporting.Tests;

internal sealed class TempFolder : IDisposable
{
    public TempFolder() => Directory.CreateDirectory(this.Path);

    public string Path { get; } = System.IO.Path.Combine(System.IO.Path.GetTempPath(), "trajlab-rep-" + Guid.NewGuid().ToString("N"));

    public string this[string name] => System.IO.Path.Combine(this.Path, name);

    public void Dispose() => Directory.Delete(this.Path, recursive: true);
}

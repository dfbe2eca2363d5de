// An experiment asked to run on a device this machine does not have stops before any work starts, with exit code 2 and
// a message naming the file and the key ("device" or "model:device"), instead of failing later inside a run folder.
namespace TrajectoryLab.Cli.Tests;

[Collection(ConsoleCollection.Name)]
public sealed class DevicePreflightTests : IDisposable
{
    readonly string _results = Directory.CreateTempSubdirectory("tlab-device-").FullName;

    public void Dispose() => Directory.Delete(_results, recursive: true);

    [NoCudaTheory]
    [InlineData("generate", "device", "key 'device'")]
    [InlineData("bench-gpu", "device", "key 'device'")]
    [InlineData("device-agreement", "device", "key 'device'")]
    [InlineData("butterfly", "model.device", "key 'model:device'")]
    [InlineData("train-brown", "device", "key 'device'")]
    public void CudaWithoutAGpuIsRefusedBeforeTheRun(string experiment, string key, string named)
    {
        var (code, _, stderr) = CliHost.Run(["run", experiment, "--results", _results, "--set", $"{key}=cuda"]);
        Assert.Equal(2, code);
        Assert.Contains(named, stderr);
        Assert.Contains("torch.cuda.is_available() is false", stderr);
        Assert.False(Directory.Exists(Path.Combine(_results, experiment)), "no run folder may be created");
    }

    [Fact]
    public void AnUnknownDeviceNameIsRefused()
    {
        var (code, _, stderr) = CliHost.Run(["run", "generate", "--results", _results, "--set", "device=tpu"]);
        Assert.Equal(2, code);
        Assert.Contains("'tpu' is not one of cpu, cuda, cuda:N", stderr);
    }
}

/// <summary>A theory about machines without CUDA (where it is skipped, saying so, if libtorch sees a GPU).</summary>
public sealed class NoCudaTheoryAttribute : TheoryAttribute
{
    public NoCudaTheoryAttribute()
    {
        if (TorchSharp.torch.cuda.is_available()) Skip = "libtorch sees a CUDA device here";
    }
}

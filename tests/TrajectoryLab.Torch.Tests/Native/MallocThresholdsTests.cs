// The library sets glibc's malloc thresholds before the first tensor (Native/MallocThresholds.cs): on Linux with glibc,
// where the environment names no malloc settings, this test process must have them applied, and a second call changes
// nothing.
using TrajectoryLab.Torch.Native;

namespace TrajectoryLab.Torch.Tests.Native;

public sealed class MallocThresholdsTests
{
    [Fact]
    public void AreSetBeforeAnyTensorOnGlibc()
    {
        bool userChose =
            !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MALLOC_MMAP_THRESHOLD_"))
            || !string.IsNullOrEmpty(Environment.GetEnvironmentVariable("MALLOC_TRIM_THRESHOLD_"))
            || (Environment.GetEnvironmentVariable("GLIBC_TUNABLES") ?? "").Contains("glibc.malloc.", StringComparison.Ordinal);
        bool glibc = OperatingSystem.IsLinux() && File.Exists("/lib/x86_64-linux-gnu/libc.so.6");
        using var tensor = TorchSharp.torch.ones(4); // the module initializer has run by the first call into the library
        Assert.Equal(glibc && !userChose, MallocThresholds.Applied);
        MallocThresholds.Apply();
        Assert.Equal(glibc && !userChose, MallocThresholds.Applied);
    }
}

// Proves that TorchSharp's native shim loads on this machine (through the build's ELF fix) and computes.
using TorchSharp;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests;

public sealed class TensorSmokeTests
{
    [Fact]
    public void CreatesATensorAndMultiplies()
    {
        using var a = tensor(new float[] { 1, 2, 3, 4 }, new long[] { 2, 2 }); // [2, 2]
        using var b = a.matmul(a);                                               // [2, 2]
        Assert.Equal(new float[] { 7, 10, 15, 22 }, b.data<float>().ToArray());
    }
}

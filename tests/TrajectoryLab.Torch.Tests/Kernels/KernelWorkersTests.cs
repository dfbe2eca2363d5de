// The kernels' worker threads: every part of a job runs exactly once, and an exception in a part (the caller's or a
// worker's) reaches the caller only after every part has finished, leaving the workers ready for the next job. A worker
// that threw used to end the process.
using TrajectoryLab.Torch.Kernels;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed class KernelWorkersTests
{
    [Fact]
    public void RunsEveryPartOnce()
    {
        var counts = new int[8];
        KernelWorkers.Run(8, p => Interlocked.Increment(ref counts[p]));
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void AWorkersExceptionReachesTheCallerAfterEveryPartAndTheWorkersCarryOn()
    {
        int finished = 0;
        var thrown = Assert.Throws<InvalidOperationException>(() => KernelWorkers.Run(4, p =>
            {
                if (p == 2)
                    throw new InvalidOperationException("part 2");
                Thread.Sleep(20);
                Interlocked.Increment(ref finished);
            }));
        Assert.Equal("part 2", thrown.Message);
        Assert.Equal(3, Volatile.Read(ref finished)); // the other parts ran to their end before Run returned

        var counts = new int[4];
        KernelWorkers.Run(4, p => Interlocked.Increment(ref counts[p])); // the next job is whole, and throws nothing
        Assert.All(counts, c => Assert.Equal(1, c));
    }

    [Fact]
    public void TheCallersExceptionWaitsForTheWorkers()
    {
        int finished = 0;
        var thrown = Assert.Throws<ArgumentException>(() => KernelWorkers.Run(3, p =>
            {
                if (p == 0)
                    throw new ArgumentException("part 0");
                Thread.Sleep(30);
                Interlocked.Increment(ref finished);
            }));
        Assert.Equal("part 0", thrown.Message);
        Assert.Equal(2, Volatile.Read(ref finished));
    }
}

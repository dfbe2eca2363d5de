// Moving memory to 2 MiB pages (Native/HugePages.cs) must leave every byte as it was, report no more blocks than the range
// touches, and, where it reports a collapsed block, the kernel's own accounting (/proc/self/smaps) must show huge pages in
// that mapping; with the variable set to "0" nothing is asked.
using System.Globalization;
using TrajectoryLab.Torch.Kernels;
using TrajectoryLab.Torch.Native;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Native;

public sealed unsafe class HugePagesTests
{
    [Theory]
    [InlineData(1L << 20)] // smaller than one huge page: its block is shared with neighbours
    [InlineData(6L << 20)]
    [InlineData(40L << 20)] // above the mmap threshold (MallocThresholds): a mapping of its own
    public void CollapseKeepsEveryByteAndCountsOnlyTheBlocksItTouches(long bytes)
    {
        using var scope = NewDisposeScope();
        var weights = randn(bytes / sizeof(float)); // [n]
        var before = weights.data<float>().ToArray();
        var address = (nint)TensorMemory.Floats(weights);
        long touched = ((address + bytes - 1) >> 21) - (address >> 21) + 1;

        var collapsed = HugePages.Collapse(address, bytes);

        Assert.InRange(collapsed, 0, touched);
        Assert.Equal(before, weights.data<float>().ToArray()); // bitwise: float equality of the same bits
        if (collapsed > 0)
            Assert.True(AnonHugeKiB(address, bytes) > 0, $"{collapsed} blocks reported collapsed, but smaps shows no huge page there");
        if (!HugePages.Enabled)
            Assert.Equal(0, collapsed);
    }

    [Fact]
    public void NothingIsAskedForAnEmptyRange() => Assert.Equal(0, HugePages.Collapse(4096, 0));

    /// <summary>AnonHugePages (KiB) summed over the mappings of this process that overlap [<paramref name="address"/>,
    /// address + <paramref name="bytes"/>), from /proc/self/smaps (advice splits a mapping at the blocks it marks); 0 off
    /// Linux.</summary>
    private static long AnonHugeKiB(nint address, long bytes)
    {
        if (!OperatingSystem.IsLinux())
            return 0;
        bool overlaps = false;
        long total = 0;
        foreach (var line in File.ReadLines("/proc/self/smaps"))
        {
            var first = line.Split(' ', 2)[0];
            var dash = first.IndexOf('-', StringComparison.Ordinal);
            if (dash > 0 && !first.EndsWith(':'))
            {
                var start = long.Parse(first[..dash], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                var end = long.Parse(first[(dash + 1)..], NumberStyles.HexNumber, CultureInfo.InvariantCulture);
                overlaps = start < address + bytes && address < end;
            }
            else if (overlaps && first == "AnonHugePages:")
                total += long.Parse(line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1], CultureInfo.InvariantCulture);
        }
        return total;
    }
}

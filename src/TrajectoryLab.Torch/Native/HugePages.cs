// Transparent huge pages for the memory a decoding step streams again and again: the weights. libtorch allocates them
// with malloc in 4 KiB pages, and a batch-1 step reads every weight once, so it walks ~15,000 pages per step of the
// stories15M shape (61 MB); the CPU's hardware prefetchers stop at each 4 KiB boundary and, in a virtual machine, every
// TLB miss costs a two-level page walk. Linux can back the same memory with 2 MiB pages: MADV_HUGEPAGE marks a range
// for them and MADV_COLLAPSE (Linux 6.1+) re-maps what is already there synchronously, contents unchanged, whatever the
// system-wide setting of /sys/kernel/mm/transparent_hugepage/enabled ("madvise" on Debian 12 and here).
//
// Measured here (2 cores, kernel 6.18, two stories15M-shape models in one process, one collapsed, 24 interleaved rounds
// of 120 greedy batch-1 steps each, two processes): best step 2.082 → 1.905 ms and 1.956 → 1.860 ms, median 2.550 →
// 2.295 ms and 2.398 → 2.185 ms; collapsing the 62 MB took 135–141 ms once. A plain two-thread C# read of 512 MB went
// from 28.6–29.2 to 32.6–32.9 GB/s on one thread and from 33.9–34.3 to 35.2–35.6 GB/s on two.
//
// Only whole 2 MiB-aligned blocks can be huge pages, so every block a weight touches is collapsed, neighbours included (a
// block is at most 2 MiB of memory that stays resident with it). A call that fails (an older kernel, THP set to "never",
// a block running past the end of a mapping, no free huge page) leaves the memory as it was; nothing depends on it but
// speed. TRAJECTORYLAB_HUGE_PAGES=0 in the environment turns it off.
// References: Linux admin-guide/mm/transhuge.rst ("MADV_COLLAPSE"); madvise(2).
using System.Runtime.InteropServices;

namespace TrajectoryLab.Torch.Native;

/// <summary>Asks Linux to back given memory with 2 MiB pages (see the file header).</summary>
public static class HugePages
{
    /// <summary>Bytes of one transparent huge page on x86-64 and most arm64 kernels.</summary>
    public const long PageBytes = 2L << 20;

    /// <summary>The environment variable that turns the advice off when it is "0".</summary>
    public const string Variable = "TRAJECTORYLAB_HUGE_PAGES";

    private const int MADV_HUGEPAGE = 14; // asm-generic/mman-common.h
    private const int MADV_COLLAPSE = 25;

    /// <summary>Whether advice is given at all: on Linux, unless the environment turns it off.</summary>
    public static bool Enabled { get; } = OperatingSystem.IsLinux() && Environment.GetEnvironmentVariable(Variable) != "0";

    /// <summary>Marks the 2 MiB blocks that [<paramref name="address"/>, address + <paramref name="bytes"/>) touches for
    /// huge pages and collapses what is already resident in them.</summary>
    /// <returns>Blocks now backed by a huge page (0 where the kernel declined or advice is off).</returns>
    public static int Collapse(nint address, long bytes)
    {
        if (!Enabled || bytes <= 0)
            return 0;
        long first = address & ~(PageBytes - 1),
            end = address + bytes;
        var collapsed = 0;
        try
        {
            for (long block = first; block < end; block += PageBytes)
            {
                if (Advise((nint)block, (nuint)PageBytes, MADV_HUGEPAGE) != 0)
                    continue; // not one mapping of anonymous memory, or THP off
                if (Advise((nint)block, (nuint)PageBytes, MADV_COLLAPSE) == 0)
                    collapsed++;
            }
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // No C library with madvise: the memory keeps its pages.
        }
        return collapsed;
    }

    [DllImport("libc", EntryPoint = "madvise")]
    private static extern int Advise(nint address, nuint length, int advice);
}

// libtorch allocates every CPU tensor with the C library's malloc. glibc serves a block of 128 KiB or more with a fresh
// mmap and returns it to the kernel when freed (its threshold then grows with the blocks freed, but the top of the heap
// is trimmed again whenever 2× that much is free there). A forward pass allocates and frees tensors of that size every few
// microseconds (a 256-token prefill of the stories15M shape: 295 KiB per residual, 1.5 MiB per gate product), so each one
// came back as fresh pages: measured with perf stat, 2.1–2.6 million page faults in 300 prefills against 0.4 million with
// the thresholds below, and the prefill took 35 ms instead of 27 ms in those runs (the products write their outputs into
// the new pages and pay the faults). Raising the mmap threshold to glibc's maximum (32 MiB) and the trim threshold to
// 256 MiB keeps those blocks in the heap for reuse; larger tensors are still mapped and unmapped on their own, and the
// heap gives back what stays free above 256 MiB. This module's initializer applies it once, before any tensor exists,
// unless the user chose malloc settings (MALLOC_MMAP_THRESHOLD_, MALLOC_TRIM_THRESHOLD_ or GLIBC_TUNABLES).
// Reference: mallopt(3) (M_MMAP_THRESHOLD, M_TRIM_THRESHOLD and the dynamic threshold); glibc manual, "Memory Allocation
// Tunables".
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TrajectoryLab.Torch.Native;

/// <summary>Sets glibc's mmap and trim thresholds so that tensor buffers are reused (see the file header).</summary>
public static class MallocThresholds
{
    /// <summary>Blocks below this come from the heap: glibc's largest mmap threshold on 64-bit systems.</summary>
    public const int MmapThreshold = 32 << 20;

    /// <summary>Free memory at the top of the heap beyond this goes back to the kernel.</summary>
    public const int TrimThreshold = 256 << 20;

    private const int M_TRIM_THRESHOLD = -1; // malloc.h
    private const int M_MMAP_THRESHOLD = -3;

    /// <summary>Whether the thresholds were set in this process (false off glibc or where the user chose settings).</summary>
    public static bool Applied { get; private set; }

    /// <summary>Sets both thresholds on Linux with glibc unless the environment names malloc settings; safe to call more
    /// than once.</summary>
    public static void Apply()
    {
        if (Applied || !OperatingSystem.IsLinux())
            return;
        foreach (var name in new[] { "MALLOC_MMAP_THRESHOLD_", "MALLOC_TRIM_THRESHOLD_" })
            if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(name)))
                return; // the user's choice stands
        if (
            Environment.GetEnvironmentVariable("GLIBC_TUNABLES") is { } tunables
            && tunables.Contains("glibc.malloc.", StringComparison.Ordinal)
        )
            return;
        try
        {
            // mallopt returns 1 on success; musl's stub returns 0 and changes nothing.
            Applied = SetOption(M_MMAP_THRESHOLD, MmapThreshold) == 1 && SetOption(M_TRIM_THRESHOLD, TrimThreshold) == 1;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            // Not a C library with mallopt: its allocator keeps its own policy.
        }
    }

    // Before the first tensor, in the CLI, in the tests and in any program that uses the library (as OpenMpWaitPolicy).
#pragma warning disable CA2255
    [ModuleInitializer]
    internal static void BeforeAnyTensor() => Apply();
#pragma warning restore CA2255

    [DllImport("libc", EntryPoint = "mallopt")]
    private static extern int SetOption(int parameter, int value);
}

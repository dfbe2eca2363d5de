// libtorch's intra-op threads are OpenMP threads (the bundled libgomp). By default they spin for a while after every
// parallel region, waiting for the next one; the CPU kernels' own workers (Kernels/KernelWorkers.cs) spin between the
// products of a decoding step too. On a machine with as many cores as threads the two spinning pools take turns on the
// same cores: measured here, a batch-1 decoding step of the stories15M shape took 14–16 ms with the default policy and
// 3.0–3.2 ms with OMP_WAIT_POLICY=PASSIVE (libgomp's threads sleep at once). libgomp reads the variable when it is loaded,
// so it must be in the process environment (the C library's, which .NET's Environment.SetEnvironmentVariable does not
// change on Linux) before TorchSharp loads libtorch: this module's initializer sets it, unless the user set it already.
// Reference: GNU libgomp manual, "OMP_WAIT_POLICY" and "GOMP_SPINCOUNT".
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;

namespace TrajectoryLab.Torch.Native;

/// <summary>Sets OMP_WAIT_POLICY=PASSIVE in the C environment before libtorch is loaded (see the file header).</summary>
public static class OpenMpWaitPolicy
{
    /// <summary>The variable libgomp reads.</summary>
    public const string Variable = "OMP_WAIT_POLICY";

    /// <summary>Sets the variable to PASSIVE unless it is set; safe to call more than once. It has an effect only before
    /// libtorch is loaded (the module initializer calls it first thing).</summary>
    public static void Apply()
    {
        if (!string.IsNullOrEmpty(Environment.GetEnvironmentVariable(Variable)))
            return; // the user's choice stands
        if (OperatingSystem.IsLinux() || OperatingSystem.IsMacOS())
            _ = SetEnvironment(Variable, "PASSIVE", 0);
        Environment.SetEnvironmentVariable(Variable, "PASSIVE");
    }

    // A library's module initializer is what runs before any of its code can make the first torch call, in the CLI, in
    // the tests and in any program that uses the library.
#pragma warning disable CA2255
    [ModuleInitializer]
    internal static void BeforeAnyTorchCall() => Apply();
#pragma warning restore CA2255

    [DllImport("libc", EntryPoint = "setenv")] // strings marshal as UTF-8 on Unix
    private static extern int SetEnvironment(string name, string value, int overwrite);
}

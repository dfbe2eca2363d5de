// Wall-clock timing that is meaningful on an asynchronous device: on CUDA every kernel launch returns before the kernel
// runs, so a timed region is bracketed by torch.cuda.synchronize() (TorchSharp: torch.cuda.synchronize) on entry and on
// exit; on CPU the work is synchronous and nothing is added. Also the cost of one tiny op on the device (the launch /
// dispatch overhead that bounds a decoding step made of many small kernels).
// Reference: PyTorch docs, "CUDA semantics: asynchronous execution" (time with synchronize or CUDA events).
using System.Diagnostics;
using TorchSharp;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Bench;

/// <summary>Synchronised timing on a device.</summary>
public static class DeviceClock
{
    /// <summary>Waits until every kernel queued on <paramref name="device"/> has finished (CUDA); nothing on CPU.</summary>
    /// <param name="device">The device the timed work runs on.</param>
    public static void Synchronize(Device device)
    {
        ArgumentNullException.ThrowIfNull(device);
        if (device.type == DeviceType.CUDA)
            cuda.synchronize(device);
    }

    /// <summary>Seconds of one run of <paramref name="work"/>, synchronised on <paramref name="device"/> before and after.</summary>
    /// <param name="device">The device the work runs on.</param>
    /// <param name="work">The timed work.</param>
    public static double Time(Device device, Action work)
    {
        ArgumentNullException.ThrowIfNull(work);
        Synchronize(device);
        var clock = Stopwatch.StartNew();
        work();
        Synchronize(device);
        return clock.Elapsed.TotalSeconds;
    }

    /// <summary>The shortest of <paramref name="repeats"/> synchronised timings of <paramref name="work"/> after one
    /// untimed warm-up run, in seconds.</summary>
    /// <param name="device">The device the work runs on.</param>
    /// <param name="repeats">Timed runs (at least 1); the best counts (the least disturbed by other load).</param>
    /// <param name="work">The timed work.</param>
    public static double Best(Device device, int repeats, Action work)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        ArgumentNullException.ThrowIfNull(work);
        work();
        return BestOf(Enumerable.Range(0, repeats).Select(_ => Time(device, work)));
    }

    /// <summary>The smallest finite value of <paramref name="seconds"/>, or +∞ if there is none.</summary>
    /// <param name="seconds">Timings.</param>
    public static double BestOf(IEnumerable<double> seconds) =>
        seconds.Where(double.IsFinite).DefaultIfEmpty(double.PositiveInfinity).Min();

    /// <summary>Microseconds per tiny op (an in-place add on a 1-element tensor on <paramref name="device"/>): the per-launch
    /// overhead, best of <paramref name="repeats"/> runs of <paramref name="calls"/> ops.</summary>
    /// <param name="device">The device.</param>
    /// <param name="repeats">Timed runs.</param>
    /// <param name="calls">Ops per run.</param>
    public static double CallMicroseconds(Device device, int repeats = 5, int calls = 20_000)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(calls, 1);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var one = zeros(new long[] { 1 }, device: device); // [1]
        // held Scalars with an explicit alpha: add_(1.0) would pass two temporary Scalars (Models/KeptScalars.cs)
        return Best(device, repeats, () =>
            {
                for (var i = 0; i < calls; i++)
                    one.add_(Models.KeptScalars.One, Models.KeptScalars.One);
            }) / calls * 1e6;
    }
}

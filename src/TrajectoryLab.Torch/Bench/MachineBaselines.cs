// Floors measured on the machine itself, in the same run as a benchmark, so that every speed figure can be reported as a
// ratio and attributed to what bounds it: per-call overhead, memory bandwidth or arithmetic throughput.
// Reference: Williams, Waterman, Patterson (2009), "Roofline: an insightful visual performance model".
using System.Diagnostics;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Bench;

/// <summary>What this machine can do at best, measured with libtorch itself.</summary>
/// <param name="CallMicroseconds">Cost of one tiny native call (an in-place add on a 1-element tensor), µs.</param>
/// <param name="BandwidthGBps">Streaming read bandwidth (sum over a tensor far larger than the caches), GB/s.</param>
/// <param name="MatmulGflops">fp32 matrix-multiply throughput on square matrices, GFLOP/s.</param>
/// <param name="Threads">libtorch intra-op threads during the measurement.</param>
/// <param name="KernelGflops">The same product by the model's C# kernel (Kernels/SimdGemm.cs, through WeightProduct),
/// GFLOP/s; NaN where the kernel does not run (neither AVX-512 nor AVX2 with FMA).</param>
public sealed record MachineBaselines(
    double CallMicroseconds,
    double BandwidthGBps,
    double MatmulGflops,
    int Threads,
    double KernelGflops = double.NaN
)
{
    /// <summary>The instruction set the C# kernels run with here ("AVX-512" or "AVX2+FMA"; null where they do not run).</summary>
    public static string? KernelInstructionSet => Models.WeightProduct.KernelInstructionSet;

    /// <summary>The faster of the two fp32 products: the rate the arithmetic floor is computed with.</summary>
    public double BestGflops => double.IsFinite(KernelGflops) ? Math.Max(MatmulGflops, KernelGflops) : MatmulGflops;

    /// <summary>Measures the three floors; each is the best of <paramref name="repeats"/> timings (least disturbed by noise).</summary>
    public static MachineBaselines Measure(int repeats = 5, long streamBytes = 512L << 20, int matmulSize = 1024)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();

        var one = zeros(1); // [1]
        const int calls = 20_000;
        var callSeconds = Best(repeats, () =>
        {
            for (int i = 0; i < calls; i++)
                one.add_(Models.KeptScalars.One, Models.KeptScalars.One);
        }); // held Scalars (KeptScalars.cs)

        var bandwidth = StreamBandwidth(repeats, streamBytes);

        var a = randn(matmulSize, matmulSize); // [n, n]
        var b = randn(matmulSize, matmulSize); // [n, n]
        var matmulSeconds = Best(repeats, () => a.matmul(b).sum().item<float>());
        double kernelSeconds = double.NaN;
        if (Models.WeightProduct.KernelAllowed)
            kernelSeconds = Best(repeats, () => Models.WeightProduct.Apply(a, b).sum().item<float>());

        return new MachineBaselines(
            CallMicroseconds: callSeconds / calls * 1e6,
            BandwidthGBps: bandwidth,
            MatmulGflops: 2.0 * matmulSize * matmulSize * matmulSize / matmulSeconds / 1e9,
            Threads: get_num_threads(),
            KernelGflops: 2.0 * matmulSize * matmulSize * matmulSize / kernelSeconds / 1e9
        );
    }

    /// <summary>Streaming read bandwidth, GB/s: the best of <paramref name="repeats"/> sums over a float32 tensor of
    /// <paramref name="streamBytes"/> bytes, far larger than the caches. The one floor a memory-bound figure needs.</summary>
    public static double StreamBandwidth(int repeats = 5, long streamBytes = 512L << 20)
    {
        using var scope = NewDisposeScope();
        var big = ones(streamBytes / sizeof(float)); // [n] float32
        return streamBytes / Best(repeats, () => big.sum().item<float>()) / 1e9;
    }

    /// <summary>The shortest wall time of <paramref name="repeats"/> runs of <paramref name="work"/> after one warm-up run, in
    /// seconds.</summary>
    public static double Best(int repeats, Action work) => Best(repeats, () => { }, work);

    /// <summary><see cref="Best(int, Action)"/> with <paramref name="between"/> run untimed before each timing (and the
    /// warm-up): another measurement interleaved with this one.</summary>
    public static double Best(int repeats, Action between, Action work)
    {
        between();
        work();
        var best = double.PositiveInfinity;
        for (int r = 0; r < repeats; r++)
        {
            between();
            var clock = Stopwatch.StartNew();
            work();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        return best;
    }
}

// The bandwidth floor of a batch-1 step read where its bytes are: one pass of plain SIMD loads over the model's own
// weight tensors, in their own memory, in the step's order, split between the kernel workers a step uses, doing nothing
// with the values but summing them. MachineBaselines' floor reads a fresh 512 MB buffer instead, and on this virtual
// machine where such a buffer lands decides its speed: fresh 512 MB buffers read at 27.8–34.7 GB/s or at 53.6–62.6 GB/s
// (libtorch's sum, two threads, best of four reads each, with or without huge pages; 5 of 6 fast in one process, 3 of 16
// in another), and a buffer that read slowly went on doing so (33.2, 31.9, 27.7, 27.8 GB/s in four reads). A buffer of
// that size also gets nothing from the caches, while a model's 61 MB read pass after pass keeps part of itself in a
// 32 MB L3 cache, as a decoding loop does. A model's weights were allocated once, at load, and a step can be no faster
// than one read of them; this pass is that read, so a step's time over its time is the fraction of the step spent on
// anything but the stream.
// References: Williams, Waterman, Patterson (2009), "Roofline"; McCalpin, STREAM (the read-only kernel).
using System.Diagnostics;
using System.Runtime.Intrinsics;
using TrajectoryLab.Torch.Kernels;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Bench;

/// <summary>Reads given tensors' memory once per pass, on the kernel workers, timed.</summary>
public sealed unsafe class WeightReadBaseline
{
    private readonly Tensor[] _tensors; // kept alive: the pass reads their memory
    private readonly (nint Address, long Floats)[] _spans;
    private readonly long _total; // floats over all spans
    private readonly int _threads;
    private readonly float[] _sums; // one per part, so that the loads are not dead code

    /// <param name="tensors">Contiguous float32 CPU tensors (the weights a step streams).</param>
    /// <param name="threads">Parts each pass is split into (the step's thread count).</param>
    /// <exception cref="ArgumentException">A tensor that is not a contiguous float32 CPU tensor.</exception>
    public WeightReadBaseline(IEnumerable<Tensor> tensors, int threads)
    {
        _tensors = [.. tensors];
        foreach (var t in _tensors)
            if (t.dtype != ScalarType.Float32 || !t.is_cpu() || !t.is_contiguous())
                throw new ArgumentException("weights to read must be contiguous float32 CPU tensors", nameof(tensors));
        _spans = [.. _tensors.Select(t => ((nint)TensorMemory.Floats(t), t.numel()))];
        _total = _spans.Sum(s => s.Floats);
        _threads = Math.Clamp(threads, 1, KernelWorkers.MaxParts);
        _sums = new float[_threads];
    }

    /// <summary>Bytes one pass reads.</summary>
    public long Bytes => _total * sizeof(float);

    /// <summary>The sum of every float the last pass read (what tests check the split with).</summary>
    public double LastSum => _sums.Sum(s => (double)s);

    /// <summary>Best seconds of one pass over <paramref name="passes"/> passes.</summary>
    public double BestSecondsPerPass(int passes)
    {
        var best = double.PositiveInfinity;
        for (int i = 0; i < passes; i++)
        {
            var clock = Stopwatch.StartNew();
            Pass();
            best = Math.Min(best, clock.Elapsed.TotalSeconds);
        }
        GC.KeepAlive(_tensors);
        return best;
    }

    /// <summary>Part p reads floats [total·p/parts, total·(p+1)/parts) of the spans laid end to end.</summary>
    private void Pass()
    {
        int parts = _threads;
        KernelWorkers.Run(parts, p =>
        {
            long from = _total * p / parts,
                to = _total * (p + 1) / parts,
                at = 0;
            var sum = Vector512<float>.Zero;
            foreach (var (address, floats) in _spans)
            {
                long start = Math.Max(from, at),
                    end = Math.Min(to, at + floats);
                if (start < end)
                    sum += Read((float*)address + (start - at), end - start);
                at += floats;
            }
            _sums[p] = Vector512.Sum(sum);
        });
    }

    /// <summary>Σ of n floats from x, four 16-lane loads per turn.</summary>
    private static Vector512<float> Read(float* x, long n)
    {
        Vector512<float> a = Vector512<float>.Zero,
            b = a,
            c = a,
            d = a;
        long i = 0;
        for (; i + 64 <= n; i += 64)
        {
            a += Vector512.Load(x + i);
            b += Vector512.Load(x + i + 16);
            c += Vector512.Load(x + i + 32);
            d += Vector512.Load(x + i + 48);
        }
        var tail = 0f;
        for (; i < n; i++)
            tail += x[i];
        return a + b + c + d + Vector512.CreateScalar(tail);
    }
}

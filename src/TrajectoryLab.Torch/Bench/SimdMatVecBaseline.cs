// The honest "how close to the hardware" reference of a batch-1 decoding step: plain C#, no libtorch. The model's weight
// matrices, as float arrays in llama2.c's [out, in] layout, each multiplied with a vector, one matrix after the other as a
// step does; every matrix's output rows are split between the threads, so each thread streams one contiguous block, and
// each row is one SIMD dot product (TensorPrimitives.Dot, AVX-512 where the CPU has it). It reads the same bytes a step
// must read and does nothing else (no attention, norms or native calls), so a step's time over this baseline's time says
// how much of the step is not the unavoidable weight stream.
// References: Karpathy (2023), llama2.c run.c's matmul (the same loop in C with OpenMP); Williams, Waterman, Patterson
// (2009), "Roofline".
using System.Diagnostics;
using System.Numerics.Tensors;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using TrajectoryLab.Torch.Native;

namespace TrajectoryLab.Torch.Bench;

/// <summary>y = W x over a model's matrices in plain multi-threaded C# SIMD, timed.</summary>
public sealed unsafe class SimdMatVecBaseline
{
    private readonly IReadOnlyList<(int Rows, int Columns)> _matrices;
    private readonly float[][] _weights; // [rows, columns] each
    private readonly float[][] _inputs; // [columns] each
    private readonly float[][] _outputs; // [rows] each
    private readonly int _threads;
    private readonly ParallelOptions _options;

    /// <param name="matrices">(rows, columns) of each matrix, rows = outputs, in the order a step reads them.</param>
    /// <param name="threads">Threads sharing each matrix's rows.</param>
    /// <param name="seed">Seed of the random weights and inputs.</param>
    public SimdMatVecBaseline(IReadOnlyList<(int Rows, int Columns)> matrices, int threads, int seed)
    {
        var random = new Random(seed);
        float[] Fill(long n)
        {
            var a = GC.AllocateUninitializedArray<float>(checked((int)n), pinned: true); // pinned: its pages stay put
            for (long i = 0; i < n; i++)
                a[i] = (float)(random.NextDouble() - 0.5);
            // The same 2 MiB pages the model's weights get (WeightProduct), so that both stream through the same kind of page.
            HugePages.Collapse((nint)Unsafe.AsPointer(ref MemoryMarshal.GetArrayDataReference(a)), n * sizeof(float));
            return a;
        }
        _matrices = matrices;
        _weights = [.. matrices.Select(m => Fill((long)m.Rows * m.Columns))];
        _inputs = [.. matrices.Select(m => Fill(m.Columns))];
        _outputs = [.. matrices.Select(m => new float[m.Rows])];
        _threads = threads;
        _options = new ParallelOptions { MaxDegreeOfParallelism = threads };
    }

    /// <summary>Seconds per pass over every matrix (one "token"), timed over <paramref name="tokens"/> passes.</summary>
    public double SecondsPerToken(int tokens)
    {
        var clock = Stopwatch.StartNew();
        for (int t = 0; t < tokens; t++)
            Pass();
        return clock.Elapsed.TotalSeconds / tokens;
    }

    /// <summary>y = W x for every matrix, in order.</summary>
    private void Pass()
    {
        for (int m = 0; m < _matrices.Count; m++)
        {
            var (rows, columns) = _matrices[m];
            var w = _weights[m];
            var x = _inputs[m];
            var y = _outputs[m];
            Parallel.For(0, _threads, _options, t =>
            {
                int from = (int)((long)rows * t / _threads),
                    to = (int)((long)rows * (t + 1) / _threads);
                var xs = x.AsSpan();
                for (int o = from; o < to; o++)
                    y[o] = TensorPrimitives.Dot(w.AsSpan(o * columns, columns), xs);
            });
        }
    }
}

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

namespace TrajectoryLab.Torch.Bench;

/// <summary>Times y = W x over a model's matrices in plain multi-threaded C# SIMD.</summary>
public static class SimdMatVecBaseline
{
    /// <summary>Seconds for one pass over every matrix (one "token"), best of <paramref name="repeats"/> timings of
    /// <paramref name="tokens"/> passes after a warm-up.</summary>
    /// <param name="matrices">(rows, columns) of each matrix, rows = outputs, in the order a step reads them.</param>
    /// <param name="threads">Threads sharing each matrix's rows.</param>
    /// <param name="tokens">Passes per timing.</param>
    /// <param name="repeats">Timings.</param>
    /// <param name="seed">Seed of the random weights and inputs.</param>
    public static double SecondsPerToken(IReadOnlyList<(int Rows, int Columns)> matrices, int threads, int tokens, int repeats, int seed)
    {
        var random = new Random(seed);
        float[] Fill(long n)
        {
            var a = new float[n];
            for (long i = 0; i < n; i++)
                a[i] = (float)(random.NextDouble() - 0.5);
            return a;
        }
        var weights = matrices.Select(m => Fill((long)m.Rows * m.Columns)).ToArray(); // [rows, columns] each
        var inputs = matrices.Select(m => Fill(m.Columns)).ToArray(); // [columns] each
        var outputs = matrices.Select(m => new float[m.Rows]).ToArray(); // [rows] each
        var options = new ParallelOptions { MaxDegreeOfParallelism = threads };

        void Pass()
        {
            for (int m = 0; m < matrices.Count; m++)
            {
                var (rows, columns) = matrices[m];
                var w = weights[m];
                var x = inputs[m];
                var y = outputs[m];
                Parallel.For(0, threads, options, t =>
                {
                    int from = (int)((long)rows * t / threads),
                        to = (int)((long)rows * (t + 1) / threads);
                    var xs = x.AsSpan();
                    for (int o = from; o < to; o++)
                        y[o] = TensorPrimitives.Dot(w.AsSpan(o * columns, columns), xs);
                });
            }
        }

        var best = double.PositiveInfinity;
        Pass();
        for (int r = 0; r < repeats; r++)
        {
            var clock = Stopwatch.StartNew();
            for (int t = 0; t < tokens; t++)
                Pass();
            best = Math.Min(best, clock.Elapsed.TotalSeconds / tokens);
        }
        GC.KeepAlive(outputs);
        return best;
    }
}

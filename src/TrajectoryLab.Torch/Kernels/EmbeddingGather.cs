// A tied model's token embedding read from the head's W_U ([d_model, d_vocab], the layout the head's product wants):
// token t's embedding is column ids[t], d_model numbers each on its own cache line of a matrix far larger than the
// caches. libtorch's index_select along dimension 1 gathers them on one thread (perf of a 256-token prefill: about
// 0.65 ms per pass) and returns the transpose of what the model wants, which the first norm then copies again with the
// same stride. Here both threads gather feature rows (each thread its own rows of W_U, every load independent, so many
// cache misses are in flight at once) straight into [tokens, d_model]: the prefill took 21.9–23.8 ms against
// 24.5–27.1 ms before (three alternating rounds). The values are copies: the same bits.
// Reference: Press & Wolf (2017), arXiv:1608.05859 (tied input and output embeddings).
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>Columns of a [d_model, d_vocab] matrix gathered as rows.</summary>
internal static unsafe class EmbeddingGather
{
    [ThreadStatic]
    private static long _calls;

    /// <summary>Calls made so far from this thread (lets a test see that the kernel ran).</summary>
    public static long Calls => _calls;

    /// <summary>out[t, f] = table[f, ids[t]], or null where the kernel does not apply (kernels off, not float32 on the CPU,
    /// grad mode on, a table that is not contiguous, ids that are not int64 on the CPU, or an id outside the vocabulary:
    /// libtorch then gathers, and names a bad id).</summary>
    /// <param name="table">[d_model, d_vocab], contiguous.</param>
    /// <param name="ids">[tokens] int64.</param>
    /// <returns>[tokens, d_model], or null.</returns>
    public static Tensor? TryColumns(Tensor table, Tensor ids)
    {
        if (
            !Models.WeightProduct.KernelAllowed
            || table.dtype != ScalarType.Float32
            || !table.is_cpu()
            || table.dim() != 2
            || !table.is_contiguous()
            || is_grad_enabled()
            || ids.dtype != ScalarType.Int64
            || ids.dim() != 1
            || !ids.is_cpu()
            || ids.shape[0] > int.MaxValue
        )
            return null;
        var source = ids.contiguous(); // [tokens]
        long vocabulary = table.shape[1];
        int features = (int)table.shape[0],
            tokens = (int)source.shape[0];
        var id = TensorMemory.Longs(source);
        for (int t = 0; t < tokens; t++)
            if ((ulong)id[t] >= (ulong)vocabulary)
                return null;
        _calls++;
        var output = empty([tokens, features], ScalarType.Float32); // [tokens, d_model]
        nint from = (nint)TensorMemory.Floats(table),
            to = (nint)TensorMemory.Floats(output),
            at = (nint)id;
        KernelWorkers.RunRanges(features, (long)tokens * features, 4096, (start, end) =>
        {
            for (long f = start; f < end; f++)
            {
                var row = (float*)from + f * vocabulary;
                for (int t = 0; t < tokens; t++)
                    ((float*)to)[(long)t * features + f] = row[((long*)at)[t]];
            }
        });
        GC.KeepAlive(table);
        GC.KeepAlive(source);
        return output;
    }
}

// Random llama2.c checkpoints for tests, written in the legacy (version 0) layout that run.c reads (Karpathy 2023,
// github.com/karpathy/llama2.c): 7 int32 header, then float32 arrays in run.c's order, wcls last when untied.
using System.Runtime.InteropServices;

namespace TrajectoryLab.Torch.Tests.Checkpoints;

/// <summary>The header fields and random arrays (by run.c name, row-major, linear weights [out, in]) of one checkpoint.</summary>
internal sealed class Llama2cFile
{
    /// <summary>run.c's array names in file order (wcls only when untied).</summary>
    public static readonly IReadOnlyList<string> Order =
    [
        "token_embedding_table", "rms_att_weight", "wq", "wk", "wv", "wo", "rms_ffn_weight", "w1", "w2", "w3",
        "rms_final_weight", "freq_cis_real", "freq_cis_imag", "wcls",
    ];

    /// <summary>Random weights (N(0, 0.3²), norm weights 1 + N(0, 0.2²)) and run.c's rotary tables for these dimensions.</summary>
    public Llama2cFile(int dim, int hiddenDim, int layers, int heads, int kvHeads, int vocab, int seqLen, bool shared, int seed)
    {
        (Dim, HiddenDim, Layers, Heads, KvHeads, Vocab, SeqLen, Shared) = (dim, hiddenDim, layers, heads, kvHeads, vocab, seqLen, shared);
        var random = new Random(seed);
        float[] Normal(long count, double mean, double std) => Enumerable.Range(0, (int)count)
            .Select(_ => (float)(mean + std * Math.Sqrt(-2 * Math.Log(1 - random.NextDouble())) * Math.Cos(2 * Math.PI * random.NextDouble())))
            .ToArray();
        int headSize = dim / heads, kvDim = kvHeads * headSize;
        var arrays = new Dictionary<string, float[]>
        {
            ["token_embedding_table"] = Normal((long)vocab * dim, 0, 0.3),
            ["rms_att_weight"] = Normal((long)layers * dim, 1, 0.2),
            ["wq"] = Normal((long)layers * dim * dim, 0, 0.3),
            ["wk"] = Normal((long)layers * kvDim * dim, 0, 0.3),
            ["wv"] = Normal((long)layers * kvDim * dim, 0, 0.3),
            ["wo"] = Normal((long)layers * dim * dim, 0, 0.3),
            ["rms_ffn_weight"] = Normal((long)layers * dim, 1, 0.2),
            ["w1"] = Normal((long)layers * hiddenDim * dim, 0, 0.3),
            ["w2"] = Normal((long)layers * dim * hiddenDim, 0, 0.3),
            ["w3"] = Normal((long)layers * hiddenDim * dim, 0, 0.3),
            ["rms_final_weight"] = Normal(dim, 1, 0.2),
            ["freq_cis_real"] = RotaryTable(seqLen, headSize, Math.Cos),
            ["freq_cis_imag"] = RotaryTable(seqLen, headSize, Math.Sin),
        };
        if (!shared) arrays["wcls"] = Normal((long)vocab * dim, 0, 0.3);
        Arrays = arrays;
    }

    public int Dim { get; }
    public int HiddenDim { get; }
    public int Layers { get; }
    public int Heads { get; }
    public int KvHeads { get; }
    public int Vocab { get; }
    public int SeqLen { get; }

    /// <summary>The classifier is the embedding table (a positive vocab_size in the header).</summary>
    public bool Shared { get; }

    /// <summary>Arrays by run.c name.</summary>
    public IReadOnlyDictionary<string, float[]> Arrays { get; }

    /// <summary>The 7 header ints: dim, hidden_dim, n_layers, n_heads, n_kv_heads, ±vocab_size, seq_len.</summary>
    public int[] Header => [Dim, HiddenDim, Layers, Heads, KvHeads, Shared ? Vocab : -Vocab, SeqLen];

    /// <summary>Writes the checkpoint to <paramref name="path"/>.</summary>
    public void Write(string path) => WriteRaw(path, Header, Order.Where(Arrays.ContainsKey).Select(n => Arrays[n]));

    /// <summary>Writes any header and arrays, for malformed files.</summary>
    public static void WriteRaw(string path, int[] header, IEnumerable<float[]> arrays)
    {
        using var stream = File.Create(path);
        stream.Write(MemoryMarshal.AsBytes(header.AsSpan()));
        foreach (var array in arrays) stream.Write(MemoryMarshal.AsBytes(array.AsSpan()));
    }

    /// <summary>run.c's table f(pos · 10000^(-2i/head_size)), [seq_len, head_size / 2].</summary>
    private static float[] RotaryTable(int seqLen, int headSize, Func<double, double> f) =>
        Enumerable.Range(0, seqLen).SelectMany(p => Enumerable.Range(0, headSize / 2)
            .Select(i => (float)f(p * Math.Pow(10000, -2.0 * i / headSize)))).ToArray();
}

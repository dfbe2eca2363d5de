// Loads llama2.c checkpoints (Karpathy 2023, github.com/karpathy/llama2.c): the legacy (version 0) .bin that run.c reads,
// a header of 7 little-endian int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len; a negative
// vocab_size means an untied classifier stored last) followed by float32 arrays in run.c's order, each layer-stacked
// linear weight [n_layers, out, in]. llama2.c rotates interleaved pairs (x[2i], x[2i+1]) (RoPE, Su et al. 2021) while
// DecoderModel rotates halves (x[i], x[i + d_head/2]), so the rows of wq and wk are permuted per head on load, as
// transformers' convert_llama_weights_to_hf permutes Meta's weights: the loaded model computes llama2.c's function.
using System.Buffers.Binary;
using System.Globalization;
using Microsoft.Win32.SafeHandles;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Checkpoints;

/// <summary>Reads llama2.c .bin checkpoints into a <see cref="DecoderModel"/>.</summary>
internal static class Llama2cCheckpoint
{
    /// <summary>Bytes of the header: 7 int32.</summary>
    public const int HeaderBytes = 7 * sizeof(int);

    /// <summary>The first int32 of llama2.c's newer exports (version ≥ 1): "ak42" in ASCII.</summary>
    private const int VersionMagic = 0x616b3432;

    /// <summary>RMSNorm epsilon run.c uses.</summary>
    private const double RmsNormEps = 1e-5;

    /// <summary>Rotary base run.c uses.</summary>
    private const double RopeTheta = 10000;

    /// <summary>One float32 array of the file: its run.c name, its byte offset and its shape ([n_layers, ...] when stacked).</summary>
    private sealed record StoredArray(string Name, long Offset, long[] Shape);

    /// <summary>Where an array goes: the canonical parameter (a block leaf when stacked per layer) and how its
    /// [out, in] (or [d]) slice becomes the canonical tensor, or the columns [ColumnStart, ColumnStart + Columns) of it
    /// for the arrays that share a fused parameter (wq, wk, wv in W_QKV; w1, w3 in W_gate_in).</summary>
    private sealed record Target(
        string Parameter,
        bool PerLayer,
        Func<Tensor, Tensor> ToCanonical,
        long ColumnStart = 0,
        long? Columns = null
    );

    /// <summary>Reads <paramref name="filePath"/> into a model computing in <paramref name="dtype"/>.</summary>
    /// <remarks>The header is validated and every array's extent checked against the file length before anything is
    /// allocated; arrays are then read one layer at a time. freq_cis_real/imag are skipped (the model computes its
    /// angles with θ = 10000, as run.c does). The file must end exactly after the last array.</remarks>
    /// <exception cref="CheckpointException">The file is missing, shorter than its header, a newer export version, has an
    /// impossible header field, or disagrees in length with its header; the message names the file and the field or array.</exception>
    public static DecoderModel Load(string filePath, ScalarType dtype = ScalarType.Float32)
    {
        using var handle = Open(filePath);
        var fileLength = RandomAccess.GetLength(handle);
        var spec = ReadSpec(handle, fileLength, filePath);
        var layout = Layout(spec, fileLength, filePath);

        var model = new DecoderModel(spec, dtype);
        try
        {
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            var targets = Targets(spec);
            using var noGrad = no_grad();
            foreach (var array in layout)
            {
                if (!targets.TryGetValue(array.Name, out var target))
                    continue;
                var shape = target.PerLayer ? array.Shape[1..] : array.Shape;
                var sliceBytes = shape.Aggregate(1L, (n, d) => n * d) * sizeof(float);
                for (var l = 0; l < (target.PerLayer ? spec.NumLayers : 1); l++)
                {
                    using var scope = NewDisposeScope();
                    var label = target.PerLayer ? $"{array.Name} (layer {l})" : array.Name;
                    // stored: [shape]
                    var stored = FileReads.ReadTensor(handle, array.Offset + l * sliceBytes, shape, ScalarType.Float32, filePath, label);
                    var name = target.PerLayer ? ParameterNames.Block(l, target.Parameter) : target.Parameter;
                    var destination = target.Columns is { } columns
                        ? parameters[name].narrow(-1, target.ColumnStart, columns)
                        : parameters[name];
                    destination.copy_(target.ToCanonical(stored));
                }
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Validates <paramref name="filePath"/> without building a model: the header, every array's extent, and every
    /// array the model reads (all but the rotary tables, which it recomputes) streamed once through a small buffer and
    /// checked for NaN and infinity.</summary>
    /// <returns>The architecture the header describes, the number of arrays checked and their bytes.</returns>
    /// <exception cref="CheckpointException">The first problem found, naming the file and the header field or array.</exception>
    public static (ModelSpec Spec, int Arrays, long Bytes) Validate(string filePath)
    {
        using var handle = Open(filePath);
        var fileLength = RandomAccess.GetLength(handle);
        var spec = ReadSpec(handle, fileLength, filePath);
        var targets = Targets(spec);
        var buffer = new byte[1 << 20];
        var (arrays, bytes) = (0, 0L);
        foreach (var array in Layout(spec, fileLength, filePath).Where(a => targets.ContainsKey(a.Name)))
        {
            var length = array.Shape.Aggregate(1L, (n, d) => n * d) * sizeof(float);
            FileReads.CheckFinite(handle, array.Offset, length, SafetensorsDType.F32, array.Shape, filePath, array.Name, buffer);
            (arrays, bytes) = (arrays + 1, bytes + length);
        }
        return (spec, arrays, bytes);
    }

    /// <summary>Writes <paramref name="model"/> as a legacy (version 0) llama2.c checkpoint that run.c reads: float32, wq and
    /// wk rows permuted back to interleaved rotary pairs, run.c's rotary tables, wcls last when the head is untied. Loading
    /// the file gives the same weights.</summary>
    /// <exception cref="NotSupportedException">The model is not one run.c computes: not a Llama-family model, or with
    /// biases, rotary scaling, a rotary base other than 10000 or a norm epsilon other than 1e-5.</exception>
    public static void Write(CausalLm model, string filePath)
    {
        var spec = model.Spec;
        if (
            spec.Architecture != ModelArchitecture.Llama
            || spec.Block != BlockDesign.Llama // q/k norms, other layouts, per-layer windows (Qwen3, OLMo 2, ...)
            || spec.SlidingWindow is not null
            || spec.QkvBias
            || spec.OutputBias
            || spec.RopeScaling is not null
            || spec.RopeTheta != RopeTheta
            || spec.RmsNormEps != RmsNormEps
            || (long)spec.NumHeads * spec.HeadDim != spec.HiddenSize
        )
            throw new NotSupportedException(
                "run.c computes a Llama without biases, rotary scaling, sliding windows or q/k norms, "
                    + string.Create(
                        CultureInfo.InvariantCulture,
                        $"rope_theta {RopeTheta}, rms_norm_eps {RmsNormEps} and d_model = heads × d_head; "
                    )
                    + string.Create(
                        CultureInfo.InvariantCulture,
                        $"this model is {spec.ModelType} with rope_theta {spec.RopeTheta}, rms_norm_eps {spec.RmsNormEps}"
                    )
            );
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        var targets = Targets(spec);
        int[] header =
        [
            spec.HiddenSize,
            spec.IntermediateSize,
            spec.NumLayers,
            spec.NumHeads,
            spec.NumKvHeads,
            spec.TieWordEmbeddings ? spec.VocabSize : -spec.VocabSize,
            spec.MaxPositionEmbeddings,
        ];
        var temporary = filePath + ".partial";
        using (var stream = File.Create(temporary))
        {
            stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(header.AsSpan()));
            using var noGrad = no_grad();
            foreach (var array in Layout(spec, long.MaxValue, filePath, checkEnd: false))
            {
                if (array.Name is "freq_cis_real" or "freq_cis_imag")
                {
                    stream.Write(
                        System.Runtime.InteropServices.MemoryMarshal.AsBytes(RotaryTable(spec, array.Name == "freq_cis_real").AsSpan())
                    );
                    continue;
                }
                var target = targets[array.Name];
                for (var l = 0; l < (target.PerLayer ? spec.NumLayers : 1); l++)
                {
                    using var scope = NewDisposeScope();
                    var name = target.PerLayer ? ParameterNames.Block(l, target.Parameter) : target.Parameter;
                    var canonical = target.Columns is { } columns
                        ? parameters[name].narrow(-1, target.ColumnStart, columns)
                        : parameters[name];
                    var stored = FromCanonical(array.Name, canonical, spec).to_type(ScalarType.Float32).cpu().contiguous(); // [run.c shape]
                    stream.Write(System.Runtime.InteropServices.MemoryMarshal.AsBytes(stored.data<float>().ToArray().AsSpan()));
                }
            }
        }
        File.Move(temporary, filePath, overwrite: true);
    }

    /// <summary>The inverse of <see cref="Targets"/>' maps: the run.c array of one layer from its canonical tensor.</summary>
    private static Tensor FromCanonical(string array, Tensor canonical, ModelSpec spec) =>
        array switch
        {
            "token_embedding_table" when spec.TieWordEmbeddings => canonical.t(),
            "token_embedding_table" or "rms_att_weight" or "rms_ffn_weight" or "rms_final_weight" => canonical,
            "wq" => HalvesToInterleaved(canonical.t(), spec.NumHeads),
            "wk" => HalvesToInterleaved(canonical.t(), spec.NumKvHeads),
            _ => canonical.t(), // wv, wo, w1, w2, w3, wcls: canonical [in, out] → run.c [out, in]
        };

    /// <summary>run.c's table f(pos · θ^(−2i/d_head)), [seq_len, d_head / 2], with f = cos or sin.</summary>
    private static float[] RotaryTable(ModelSpec spec, bool cosine)
    {
        var (positions, half) = (spec.MaxPositionEmbeddings, spec.HeadDim / 2);
        var table = new float[(long)positions * half];
        for (var p = 0; p < positions; p++)
        for (var i = 0; i < half; i++)
        {
            var angle = p * Math.Pow(RopeTheta, -2.0 * i / spec.HeadDim);
            table[(long)p * half + i] = (float)(cosine ? Math.Cos(angle) : Math.Sin(angle));
        }
        return table;
    }

    private static SafeFileHandle Open(string filePath)
    {
        try
        {
            return File.OpenHandle(filePath, FileMode.Open, FileAccess.Read, FileShare.Read, FileOptions.RandomAccess);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new CheckpointException(filePath, null, $"cannot open llama2.c checkpoint ({e.Message})", e);
        }
    }

    /// <summary>Reads and validates the header into the spec run.c implies.</summary>
    private static ModelSpec ReadSpec(SafeFileHandle handle, long fileLength, string filePath)
    {
        if (fileLength < HeaderBytes)
            throw new CheckpointException(
                filePath,
                null,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"file is {fileLength} bytes, shorter than the {HeaderBytes}-byte llama2.c header"
                )
            );
        Span<byte> bytes = stackalloc byte[HeaderBytes];
        FileReads.ReadExactly(handle, bytes, 0, filePath, null);
        var fields = new int[7];
        for (var i = 0; i < fields.Length; i++)
            fields[i] = BinaryPrimitives.ReadInt32LittleEndian(bytes[(4 * i)..]);
        if (fields[0] == VersionMagic)
            throw new CheckpointException(
                filePath,
                null,
                "starts with the magic 'ak42' of a newer llama2.c export; "
                    + "only the legacy version-0 layout is supported (export.py --version 0)"
            );

        var (dim, hidden, layers, heads, kvHeads, vocab, seqLen) = (
            fields[0],
            fields[1],
            fields[2],
            fields[3],
            fields[4],
            fields[5],
            fields[6]
        );
        CheckpointException Field(string name, string detail) => new(filePath, $"header field '{name}'", detail);
        foreach (
            var (name, value) in new[]
            {
                ("dim", dim),
                ("hidden_dim", hidden),
                ("n_layers", layers),
                ("n_heads", heads),
                ("n_kv_heads", kvHeads),
                ("seq_len", seqLen),
            }
        )
            if (value <= 0)
                throw Field(name, string.Create(CultureInfo.InvariantCulture, $"must be positive, is {value}"));
        if (vocab is 0 or int.MinValue)
            throw Field(
                "vocab_size",
                string.Create(CultureInfo.InvariantCulture, $"{vocab} is not a vocabulary size (negative means an untied classifier)")
            );
        if (dim % heads != 0 || dim / heads % 2 != 0)
            throw Field(
                "n_heads",
                string.Create(CultureInfo.InvariantCulture, $"{heads} heads must split dim {dim} into heads of even size")
            );
        if (kvHeads > heads || heads % kvHeads != 0)
            throw Field("n_kv_heads", string.Create(CultureInfo.InvariantCulture, $"{kvHeads} does not divide n_heads {heads}"));

        return ModelSpec.Llama(
            Math.Abs(vocab),
            dim,
            hidden,
            layers,
            heads,
            kvHeads,
            context: seqLen,
            tieWordEmbeddings: vocab > 0,
            rmsNormEps: RmsNormEps,
            ropeTheta: RopeTheta
        );
    }

    /// <summary>Every array in file order with its offset, after checking that each lies inside the file and that the
    /// last one ends exactly at the end of the file. Sizes are computed in 128-bit integers, so no header overflows them.</summary>
    private static List<StoredArray> Layout(ModelSpec spec, long fileLength, string filePath, bool checkEnd = true)
    {
        long dim = spec.HiddenSize,
            hidden = spec.IntermediateSize,
            layers = spec.NumLayers,
            vocab = spec.VocabSize;
        long q = (long)spec.NumHeads * spec.HeadDim,
            kv = (long)spec.NumKvHeads * spec.HeadDim,
            halfHead = spec.HeadDim / 2;
        var shapes = new List<(string Name, long[] Shape)>
        {
            ("token_embedding_table", [vocab, dim]),
            ("rms_att_weight", [layers, dim]),
            ("wq", [layers, q, dim]),
            ("wk", [layers, kv, dim]),
            ("wv", [layers, kv, dim]),
            ("wo", [layers, dim, q]),
            ("rms_ffn_weight", [layers, dim]),
            ("w1", [layers, hidden, dim]),
            ("w2", [layers, dim, hidden]),
            ("w3", [layers, hidden, dim]),
            ("rms_final_weight", [dim]),
            ("freq_cis_real", [spec.MaxPositionEmbeddings, halfHead]),
            ("freq_cis_imag", [spec.MaxPositionEmbeddings, halfHead]),
        };
        if (!spec.TieWordEmbeddings)
            shapes.Add(("wcls", [vocab, dim]));

        var layout = new List<StoredArray>();
        Int128 offset = HeaderBytes;
        foreach (var (name, shape) in shapes)
        {
            var end = offset + shape.Aggregate((Int128)sizeof(float), (n, d) => n * d);
            if (end > fileLength)
                throw CheckpointException.ForTensor(
                    filePath,
                    name,
                    string.Create(
                        CultureInfo.InvariantCulture,
                        $"{SafetensorsEntry.FormatShape(shape)} float32 would end at byte {end}, beyond the file's {fileLength} bytes "
                    ) + "(truncated file, or a header promising more than it holds)"
                );
            layout.Add(new StoredArray(name, (long)offset, shape));
            offset = end;
        }
        if (checkEnd && offset != fileLength)
            throw new CheckpointException(
                filePath,
                null,
                string.Create(
                    CultureInfo.InvariantCulture,
                    $"{fileLength - (long)offset} bytes follow the last array '{layout[^1].Name}'; the header does not describe this file"
                )
            );
        return layout;
    }

    /// <summary>run.c's arrays by name → canonical parameters. w1 is the gate, w3 the up projection, w2 the down projection.</summary>
    private static Dictionary<string, Target> Targets(ModelSpec spec)
    {
        long q = (long)spec.NumHeads * spec.HeadDim,
            kv = (long)spec.NumKvHeads * spec.HeadDim,
            mlp = spec.IntermediateSize;
        return new(StringComparer.Ordinal)
        {
            ["token_embedding_table"] = spec.TieWordEmbeddings // a tied model keeps its one matrix in the head's layout (Embeddings.cs)
                ? new(ParameterNames.UnembedW, false, w => w.t())
                : new(ParameterNames.EmbedW, false, w => w),
            ["rms_att_weight"] = new(ParameterNames.Ln1W, true, w => w),
            ["wq"] = new(ParameterNames.WQkv, true, w => InterleavedToHalves(w, spec.NumHeads).t(), 0, q),
            ["wk"] = new(ParameterNames.WQkv, true, w => InterleavedToHalves(w, spec.NumKvHeads).t(), q, kv),
            ["wv"] = new(ParameterNames.WQkv, true, w => w.t(), q + kv, kv),
            ["wo"] = new(ParameterNames.WO, true, w => w.t()),
            ["rms_ffn_weight"] = new(ParameterNames.Ln2W, true, w => w),
            ["w1"] = new(ParameterNames.WGateIn, true, w => w.t(), 0, mlp),
            ["w2"] = new(ParameterNames.WOut, true, w => w.t()),
            ["w3"] = new(ParameterNames.WGateIn, true, w => w.t(), mlp, mlp),
            ["rms_final_weight"] = new(ParameterNames.FinalNormW, false, w => w),
            ["wcls"] = new(ParameterNames.UnembedW, false, w => w.t()),
        };
    }

    /// <summary>Reorders the output rows of each head so that interleaved pair (2i, 2i+1) becomes half-split pair (i, i +
    /// d_head/2).</summary>
    /// <param name="w">[heads · d_head, in], rows of head h at h·d_head … (h+1)·d_head - 1.</param>
    /// <param name="heads">Number of heads the rows hold.</param>
    /// <returns>[heads · d_head, in]</returns>
    private static Tensor InterleavedToHalves(Tensor w, int heads)
    {
        long rows = w.shape[0],
            cols = w.shape[1];
        return w.view(heads, rows / heads / 2, 2, cols).transpose(1, 2).reshape(rows, cols);
    }

    /// <summary>The inverse of <see cref="InterleavedToHalves"/>: half-split pair (i, i + d_head/2) back to (2i, 2i+1).</summary>
    /// <param name="w">[heads · d_head, in]</param>
    /// <param name="heads">Number of heads the rows hold.</param>
    /// <returns>[heads · d_head, in]</returns>
    private static Tensor HalvesToInterleaved(Tensor w, int heads)
    {
        long rows = w.shape[0],
            cols = w.shape[1];
        return w.reshape(heads, 2, rows / heads / 2, cols).transpose(1, 2).reshape(rows, cols);
    }
}

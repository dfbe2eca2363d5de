// Loads a model of any supported architecture (Llama family, GPT-2; chosen by config.json's model_type) from a Hugging
// Face folder (config.json + model.safetensors or shards with their index, in F32/F16/BF16) into any compute dtype, and
// saves one as config.json + model.safetensors that loads back bit-exactly.
using System.Globalization;
using TrajectoryLab.Torch.Checkpoints;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>Hugging Face model folders for every <see cref="CausalLm"/> architecture.</summary>
internal static class HfModelFolder
{
    /// <summary>Reads config.json and the weights of <paramref name="folder"/> into a model computing in <paramref name="dtype"/>.</summary>
    /// <remarks>The architecture follows config.json's model_type. Every tensor's shape is checked against config.json
    /// before any is read; tensors are read one at a time in their stored dtype, transposed to the canonical [in, out]
    /// layout, written into their columns of a fused parameter (W_QKV, W_gate_in) and converted.</remarks>
    /// <exception cref="CheckpointException">A file is missing or malformed, the model_type is unsupported, a tensor is
    /// missing, unexpected, of the wrong shape or of a non-float dtype; the message names the file and tensor or key.</exception>
    public static CausalLm Load(string folder, ScalarType dtype = ScalarType.Float32)
    {
        var spec = HfConfigReader.Read(Path.Combine(folder, HfConfigReader.FileName));
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        var tensors = HfWeightMap.For(spec, checkpoint.Contains);
        CheckNames(checkpoint, tensors, spec);
        foreach (var mapping in tensors) CheckEntry(checkpoint, mapping, spec);

        var model = CausalLm.Create(spec, dtype);
        try
        {
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            using var noGrad = no_grad();
            foreach (var m in tensors)
            {
                using var scope = NewDisposeScope();
                var stored = checkpoint.ReadTensor(m.HfName); // [HF shape]
                Slice(parameters[m.CanonicalName], m).copy_(m.Transposed ? stored.t() : stored);
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Writes config.json and model.safetensors for <paramref name="model"/> into <paramref name="folder"/>, in the model's dtype.</summary>
    /// <remarks>Both files are written atomically, with the tensor names transformers' save_pretrained uses. Loading the
    /// folder back with the same dtype gives identical weights.</remarks>
    public static void Save(CausalLm model, string folder)
    {
        Directory.CreateDirectory(folder);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var writer = new SafetensorsWriter().AddMetadata("format", "pt");
        foreach (var m in HfWeightMap.For(model.Spec))
        {
            var canonical = Slice(parameters[m.CanonicalName], m);                         // [..., columns]
            writer.Add(m.HfName, m.Transposed ? canonical.t().contiguous() : canonical.contiguous()); // [HF shape]
        }
        writer.Save(Path.Combine(folder, SafetensorsCheckpoint.SingleFileName));
        HfConfigWriter.Write(model.Spec, Path.Combine(folder, HfConfigReader.FileName), TorchDTypeName(model.DType));
    }

    /// <summary>The config.json torch_dtype name of a compute dtype.</summary>
    public static string TorchDTypeName(ScalarType dtype) => dtype switch
    {
        ScalarType.Float32 => "float32",
        ScalarType.Float16 => "float16",
        ScalarType.BFloat16 => "bfloat16",
        _ => throw new NotSupportedException($"models compute in float32, float16 or bfloat16, not {dtype}"),
    };

    /// <summary>The columns of <paramref name="parameter"/> that <paramref name="m"/>'s HF tensor holds: a view, [..., columns].</summary>
    private static Tensor Slice(Tensor parameter, WeightMapping m) =>
        m.Columns is { } columns ? parameter.narrow(-1, m.ColumnStart, columns) : parameter;

    private static void CheckNames(SafetensorsCheckpoint checkpoint, IEnumerable<WeightMapping> tensors, ModelSpec spec)
    {
        var expected = tensors.Select(m => m.HfName).ToHashSet(StringComparer.Ordinal);
        foreach (var name in checkpoint.Names)
            if (!expected.Contains(name) && !HfWeightMap.IsIgnorable(name, spec))
                throw CheckpointException.ForTensor(checkpoint.Find(name).Reader.FilePath, name,
                    $"is not a weight of a {spec.ModelType} model as config.json describes it (bias or tied-head settings disagree?)");
    }

    /// <summary>Checks the shape and dtype of the HF tensor that <paramref name="m"/> reads.</summary>
    private static void CheckEntry(SafetensorsCheckpoint checkpoint, WeightMapping m, ModelSpec spec)
    {
        var (reader, entry) = checkpoint.Find(m.HfName);
        var canonical = CanonicalShape(m.CanonicalName, spec);
        if (m.Columns is { } columns) canonical[^1] = columns;
        var hfShape = m.Transposed ? canonical.Reverse().ToArray() : canonical;
        if (!entry.Shape.SequenceEqual(hfShape))
            throw CheckpointException.ForTensor(reader.FilePath, m.HfName, string.Create(CultureInfo.InvariantCulture,
                $"shape {entry.ShapeText} disagrees with config.json, which implies {SafetensorsEntry.FormatShape(hfShape)}"));
        if (entry.DType is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16))
            throw CheckpointException.ForTensor(reader.FilePath, m.HfName, $"dtype {entry.DType} is not a weight dtype (F32, F16 or BF16)");
    }

    /// <summary>The shape of a canonical parameter under <paramref name="spec"/> ([in, out] for weights).</summary>
    internal static long[] CanonicalShape(string canonicalName, ModelSpec spec)
    {
        long d = spec.HiddenSize, mlp = spec.IntermediateSize, vocab = spec.VocabSize;
        long q = (long)spec.NumHeads * spec.HeadDim, kv = (long)spec.NumKvHeads * spec.HeadDim;
        var leaf = canonicalName.StartsWith("blocks.", StringComparison.Ordinal)
            ? canonicalName[(canonicalName.IndexOf('.', "blocks.".Length) + 1)..]
            : canonicalName;
        return leaf switch
        {
            ParameterNames.EmbedW => [vocab, d],
            ParameterNames.PosEmbedW => [spec.MaxPositionEmbeddings, d],
            ParameterNames.UnembedW => [d, vocab],
            ParameterNames.FinalNormW or ParameterNames.FinalNormB or ParameterNames.Ln1W or ParameterNames.Ln1B
                or ParameterNames.Ln2W or ParameterNames.Ln2B or ParameterNames.BO or ParameterNames.BOut => [d],
            ParameterNames.WQkv => [d, q + 2 * kv],
            ParameterNames.BQkv => [q + 2 * kv],
            ParameterNames.WO => [q, d],
            ParameterNames.WGateIn => [d, 2 * mlp],
            ParameterNames.WIn => [d, mlp],
            ParameterNames.BIn => [mlp],
            ParameterNames.WOut => [mlp, d],
            _ => throw new InvalidOperationException($"no shape rule for parameter '{canonicalName}'"),
        };
    }
}

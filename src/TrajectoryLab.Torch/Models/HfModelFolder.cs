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
    /// layout, split when fused (GPT-2's c_attn) and converted.</remarks>
    /// <exception cref="CheckpointException">A file is missing or malformed, the model_type is unsupported, a tensor is
    /// missing, unexpected, of the wrong shape or of a non-float dtype; the message names the file and tensor or key.</exception>
    public static CausalLm Load(string folder, ScalarType dtype = ScalarType.Float32)
    {
        var spec = HfConfigReader.Read(Path.Combine(folder, HfConfigReader.FileName));
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        var tensors = HfWeightMap.For(spec, checkpoint.Contains).GroupBy(m => m.HfName).ToList();
        CheckNames(checkpoint, tensors, spec);
        foreach (var parts in tensors) CheckEntry(checkpoint, parts, spec);

        var model = CausalLm.Create(spec, dtype);
        try
        {
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            using var noGrad = no_grad();
            foreach (var parts in tensors)
            {
                using var scope = NewDisposeScope();
                var stored = checkpoint.ReadTensor(parts.Key); // [HF shape]
                foreach (var m in parts)
                {
                    var canonical = m.Transposed ? stored.t() : stored; // [..., parts · out]
                    var width = canonical.shape[^1] / m.Parts;
                    parameters[m.CanonicalName].copy_(canonical.narrow(-1, m.Part * width, width));
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
        foreach (var parts in HfWeightMap.For(model.Spec).GroupBy(m => m.HfName))
        {
            Tensor[] slices = [.. parts.OrderBy(m => m.Part).Select(m => parameters[m.CanonicalName])];
            var canonical = slices.Length == 1 ? slices[0] : cat(slices, -1);              // [..., parts · out]
            writer.Add(parts.Key, parts.First().Transposed ? canonical.t().contiguous() : canonical); // [HF shape]
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

    private static void CheckNames(SafetensorsCheckpoint checkpoint, IEnumerable<IGrouping<string, WeightMapping>> tensors, ModelSpec spec)
    {
        var expected = tensors.Select(g => g.Key).ToHashSet(StringComparer.Ordinal);
        foreach (var name in checkpoint.Names)
            if (!expected.Contains(name) && !HfWeightMap.IsIgnorable(name, spec))
                throw CheckpointException.ForTensor(checkpoint.Find(name).Reader.FilePath, name,
                    $"is not a weight of a {spec.ModelType} model as config.json describes it (bias or tied-head settings disagree?)");
    }

    /// <summary>Checks the shape and dtype of one HF tensor holding <paramref name="parts"/> (one parameter, or several side by side).</summary>
    private static void CheckEntry(SafetensorsCheckpoint checkpoint, IGrouping<string, WeightMapping> parts, ModelSpec spec)
    {
        var (reader, entry) = checkpoint.Find(parts.Key);
        var first = parts.First();
        var canonical = CanonicalShape(first.CanonicalName, spec);
        canonical[^1] *= first.Parts;
        var hfShape = first.Transposed ? canonical.Reverse().ToArray() : canonical;
        if (!entry.Shape.SequenceEqual(hfShape))
            throw CheckpointException.ForTensor(reader.FilePath, parts.Key, string.Create(CultureInfo.InvariantCulture,
                $"shape {entry.ShapeText} disagrees with config.json, which implies {SafetensorsEntry.FormatShape(hfShape)}"));
        if (entry.DType is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16))
            throw CheckpointException.ForTensor(reader.FilePath, parts.Key, $"dtype {entry.DType} is not a weight dtype (F32, F16 or BF16)");
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
            ParameterNames.WQ => [d, q],
            ParameterNames.BQ => [q],
            ParameterNames.WK or ParameterNames.WV => [d, kv],
            ParameterNames.BK or ParameterNames.BV => [kv],
            ParameterNames.WO => [q, d],
            ParameterNames.WGate or ParameterNames.WIn => [d, mlp],
            ParameterNames.BIn => [mlp],
            ParameterNames.WOut => [mlp, d],
            _ => throw new InvalidOperationException($"no shape rule for parameter '{canonicalName}'"),
        };
    }
}

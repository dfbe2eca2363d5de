// Loads a Llama-family model from a Hugging Face folder (config.json + model.safetensors or shards with their index,
// in F32/F16/BF16) into any compute dtype, and saves one as config.json + model.safetensors that loads back bit-exactly.
using System.Globalization;
using TrajectoryLab.Torch.Checkpoints;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>Hugging Face model folders for <see cref="LlamaModel"/>.</summary>
internal static class HfModelFolder
{
    /// <summary>Reads config.json and the weights of <paramref name="folder"/> into a model computing in <paramref name="dtype"/>.</summary>
    /// <remarks>Every tensor's shape is checked against config.json before it is read; tensors are read one at a time
    /// in their stored dtype, transposed to the canonical [in, out] layout and converted.</remarks>
    /// <exception cref="CheckpointException">A file is missing or malformed, a tensor is missing, unexpected, of the
    /// wrong shape or of a non-float dtype; the message names the file and tensor.</exception>
    public static LlamaModel Load(string folder, ScalarType dtype = ScalarType.Float32)
    {
        var spec = HfConfigReader.Read(Path.Combine(folder, HfConfigReader.FileName));
        using var checkpoint = SafetensorsCheckpoint.Open(folder);
        var map = LlamaWeightMap.For(spec);
        CheckNames(checkpoint, map, spec);
        foreach (var m in map) CheckEntry(checkpoint, m, spec);

        var model = new LlamaModel(spec, dtype);
        try
        {
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            using var noGrad = no_grad();
            foreach (var m in map)
            {
                using var scope = NewDisposeScope();
                var stored = checkpoint.ReadTensor(m.HfName); // [HF shape]
                parameters[m.CanonicalName].copy_(m.Transposed ? stored.t() : stored);
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
    /// <remarks>Both files are written atomically. Loading the folder back with the same dtype gives identical weights.</remarks>
    public static void Save(LlamaModel model, string folder)
    {
        Directory.CreateDirectory(folder);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var writer = new SafetensorsWriter().AddMetadata("format", "pt");
        foreach (var m in LlamaWeightMap.For(model.Spec))
        {
            var p = parameters[m.CanonicalName];
            writer.Add(m.HfName, m.Transposed ? p.t().contiguous() : p); // [HF shape]
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

    private static void CheckNames(SafetensorsCheckpoint checkpoint, IReadOnlyList<LlamaWeightMap.Mapping> map, ModelSpec spec)
    {
        var expected = map.Select(m => m.HfName).ToHashSet(StringComparer.Ordinal);
        foreach (var name in checkpoint.Names)
            if (!expected.Contains(name) && !LlamaWeightMap.IsIgnorable(name, spec))
                throw CheckpointException.ForTensor(checkpoint.Find(name).Reader.FilePath, name,
                    $"is not a weight of a {spec.ModelType} model as config.json describes it (bias or tied-head settings disagree?)");
    }

    private static void CheckEntry(SafetensorsCheckpoint checkpoint, LlamaWeightMap.Mapping m, ModelSpec spec)
    {
        var (reader, entry) = checkpoint.Find(m.HfName);
        var canonical = CanonicalShape(m.CanonicalName, spec);
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
            ParameterNames.UnembedW => [d, vocab],
            ParameterNames.FinalNormW or ParameterNames.Ln1W or ParameterNames.Ln2W or ParameterNames.BO => [d],
            ParameterNames.WQ => [d, q],
            ParameterNames.BQ => [q],
            ParameterNames.WK or ParameterNames.WV => [d, kv],
            ParameterNames.BK or ParameterNames.BV => [kv],
            ParameterNames.WO => [q, d],
            ParameterNames.WGate or ParameterNames.WIn => [d, mlp],
            ParameterNames.WOut => [mlp, d],
            _ => throw new InvalidOperationException($"no shape rule for parameter '{canonicalName}'"),
        };
    }
}

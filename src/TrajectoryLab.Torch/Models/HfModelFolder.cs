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
    /// <summary>Reads config.json and the weights of <paramref name="folder"/> into a model computing in <paramref
    /// name="dtype"/>.</summary>
    /// <exception cref="CheckpointException">See <see cref="Load(string, string, ScalarType)"/>.</exception>
    public static CausalLm Load(string folder, ScalarType dtype = ScalarType.Float32) =>
        Load(Path.Combine(folder, HfConfigReader.FileName), SafetensorsCheckpoint.WeightsPathOf(folder), dtype);

    /// <summary>Reads <paramref name="configPath"/> and the weights at <paramref name="weightsPath"/> (a safetensors file of
    /// any name, or a shard index) into a model computing in <paramref name="dtype"/>.</summary>
    /// <remarks>The architecture follows config.json's model_type. Every tensor's presence, shape and dtype is checked
    /// against config.json before any is read (<see cref="Plan"/>); tensors are then read one at a time in their stored
    /// dtype, refused if any element is NaN or infinite, transposed to the canonical [in, out] layout, written into their
    /// columns of a fused parameter (W_QKV, W_gate_in) and converted.</remarks>
    /// <exception cref="CheckpointException">A file is missing or malformed, the model_type is unsupported, a tensor is
    /// missing, unexpected, of the wrong shape, of a non-float dtype or holds a non-finite value; the message names the
    /// file and tensor or key.</exception>
    public static CausalLm Load(string configPath, string weightsPath, ScalarType dtype = ScalarType.Float32)
    {
        var spec = HfConfigReader.Read(configPath);
        using var checkpoint = OpenWeights(weightsPath, spec);
        var tensors = Plan(checkpoint, spec);

        var model = CausalLm.Create(spec, dtype);
        try
        {
            var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            using var noGrad = no_grad();
            foreach (var m in tensors)
            {
                using var scope = NewDisposeScope();
                var stored = checkpoint.ReadTensor(m.HfName); // [HF shape]
                var ordered = m.FromHf is { } reorder ? reorder(stored) : stored; // [HF shape], canonical order
                Slice(parameters[m.CanonicalName], m).copy_(m.Transposed ? ordered.t() : ordered);
            }
            return model;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>Validates a Hugging Face checkpoint without building a model: config.json, every header, the tensors the
    /// architecture needs (present, shaped as config.json implies, a weight dtype, nothing unexpected), then every tensor's
    /// data streamed once through a small buffer and checked for NaN and infinity.</summary>
    /// <returns>The architecture and the number of tensors and bytes checked.</returns>
    /// <exception cref="CheckpointException">The first problem found, naming the file and the key or tensor.</exception>
    public static (ModelSpec Spec, int Tensors, long Bytes) Validate(string configPath, string weightsPath)
    {
        var spec = HfConfigReader.Read(configPath);
        using var checkpoint = OpenWeights(weightsPath, spec);
        var tensors = Plan(checkpoint, spec);
        var buffer = new byte[1 << 20];
        long bytes = 0;
        foreach (var m in tensors)
        {
            var (reader, entry) = checkpoint.Find(m.HfName);
            reader.CheckFinite(m.HfName, buffer);
            bytes += entry.ByteLength;
        }
        return (spec, tensors.Count, bytes);
    }

    /// <summary>Opens the weights; when a header's entries do not tile its data region (the trace a deleted entry leaves),
    /// names the tensor the architecture needs that the header lacks, if there is one.</summary>
    private static SafetensorsCheckpoint OpenWeights(string weightsPath, ModelSpec spec)
    {
        try
        {
            return SafetensorsCheckpoint.OpenFile(weightsPath);
        }
        catch (CheckpointException e) when (e.IsLayoutError)
        {
            HashSet<string> names;
            try
            {
                names = SafetensorsCheckpoint
                    .Files(weightsPath)
                    .SelectMany(SafetensorsReader.TensorNames)
                    .ToHashSet(StringComparer.Ordinal);
            }
            catch (CheckpointException)
            {
                throw e;
            }
            if (HfWeightMap.For(spec, names.Contains).FirstOrDefault(m => !names.Contains(m.HfName)) is not { } missing)
                throw;
            throw CheckpointException.ForTensor(
                e.FilePath,
                missing.HfName,
                $"is missing from the header, and config.json's architecture needs it ({e.Message[(e.FilePath.Length + 2)..]})",
                e
            );
        }
    }

    /// <summary>The tensors to read, after checking that every one the architecture needs is present (the first missing one
    /// is named), that nothing else is there, and that each has the shape config.json implies and a weight dtype.</summary>
    /// <exception cref="CheckpointException">A missing, unexpected, misshapen or non-float tensor.</exception>
    internal static IReadOnlyList<WeightMapping> Plan(SafetensorsCheckpoint checkpoint, ModelSpec spec)
    {
        var tensors = HfWeightMap.For(spec, checkpoint.Contains);
        foreach (var m in tensors)
            if (!checkpoint.Contains(m.HfName))
                throw CheckpointException.ForTensor(
                    checkpoint.DescribedBy,
                    m.HfName,
                    "is missing from the checkpoint" + LayerHint(checkpoint, m.HfName, spec)
                );
        CheckNames(checkpoint, tensors, spec);
        foreach (var m in tensors)
            CheckEntry(checkpoint, m, spec);
        return tensors;
    }

    /// <summary>When <paramref name="missing"/> belongs to a layer beyond every layer the checkpoint holds, says that
    /// config.json's layer count is the likely culprit.</summary>
    private static string LayerHint(SafetensorsCheckpoint checkpoint, string missing, ModelSpec spec)
    {
        static int? LayerOf(string name)
        {
            var match = System.Text.RegularExpressions.Regex.Match(name, @"(?:^|\.)(?:layers|h)\.(\d+)\.");
            return match.Success ? int.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : null;
        }
        if (LayerOf(missing) is not { } layer)
            return "";
        var present = checkpoint.Names.Select(LayerOf).Where(l => l is not null).Select(l => l!.Value).DefaultIfEmpty(-1).Max();
        if (layer <= present)
            return "";
        var key = Families.ModelFamilies.Of(spec).LayerCountKey;
        return string.Create(
            CultureInfo.InvariantCulture,
            $" (config.json's {key} is {spec.NumLayers}, but the checkpoint holds {(present < 0 ? "no layers" : $"layers 0–{present}")})"
        );
    }

    /// <summary>Writes config.json and model.safetensors for <paramref name="model"/> into <paramref name="folder"/>, in the model's
    /// dtype.</summary>
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
            var canonical = Slice(parameters[m.CanonicalName], m); // [..., columns]
            var hf = m.Transposed ? canonical.t() : canonical; // [HF shape], canonical order
            writer.Add(m.HfName, (m.ToHf is { } reorder ? reorder(hf) : hf).contiguous()); // [HF shape]
        }
        writer.Save(Path.Combine(folder, SafetensorsCheckpoint.SingleFileName));
        HfConfigWriter.Write(model.Spec, Path.Combine(folder, HfConfigReader.FileName), TorchDTypeName(model.DType));
    }

    /// <summary>The config.json torch_dtype name of a compute dtype.</summary>
    public static string TorchDTypeName(ScalarType dtype) =>
        dtype switch
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
                throw CheckpointException.ForTensor(
                    checkpoint.Find(name).Reader.FilePath,
                    name,
                    $"is not a weight of a {spec.ModelType} model as config.json describes it (bias or tied-head settings disagree?)"
                );
    }

    /// <summary>Checks the shape and dtype of the HF tensor that <paramref name="m"/> reads.</summary>
    private static void CheckEntry(SafetensorsCheckpoint checkpoint, WeightMapping m, ModelSpec spec)
    {
        var (reader, entry) = checkpoint.Find(m.HfName);
        var canonical = CanonicalShape(m.CanonicalName, spec);
        if (m.Columns is { } columns)
            canonical[^1] = columns;
        var hfShape = m.Transposed ? canonical.Reverse().ToArray() : canonical;
        if (!entry.Shape.SequenceEqual(hfShape))
            throw CheckpointException.ForTensor(
                reader.FilePath,
                m.HfName,
                string.Create(CultureInfo.InvariantCulture, $"shape {entry.ShapeText} disagrees with config.json, ")
                    + string.Create(
                        CultureInfo.InvariantCulture,
                        $"which implies {SafetensorsEntry.FormatShape(hfShape)} ({Dimensions(spec)})"
                    )
            );
        if (entry.DType is not (SafetensorsDType.F32 or SafetensorsDType.F16 or SafetensorsDType.BF16))
            throw CheckpointException.ForTensor(reader.FilePath, m.HfName, $"dtype {entry.DType} is not a weight dtype (F32, F16 or BF16)");
    }

    /// <summary>config.json's sizes in the architecture's own key names, for shape messages.</summary>
    private static string Dimensions(ModelSpec spec) => Families.ModelFamilies.Of(spec).DescribeSizes(spec);

    /// <summary>The shape of a canonical parameter under <paramref name="spec"/> ([in, out] for weights).</summary>
    internal static long[] CanonicalShape(string canonicalName, ModelSpec spec)
    {
        long d = spec.HiddenSize,
            mlp = spec.IntermediateSize,
            vocab = spec.VocabSize;
        long q = (long)spec.NumHeads * spec.HeadDim,
            kv = (long)spec.NumKvHeads * spec.HeadDim;
        var leaf = canonicalName.StartsWith("blocks.", StringComparison.Ordinal)
            ? canonicalName[(canonicalName.IndexOf('.', "blocks.".Length) + 1)..]
            : canonicalName;
        return leaf switch
        {
            ParameterNames.EmbedW => [vocab, d],
            ParameterNames.PosEmbedW => [spec.MaxPositionEmbeddings, d],
            ParameterNames.UnembedW => [d, vocab],
            ParameterNames.FinalNormW
            or ParameterNames.FinalNormB
            or ParameterNames.Ln1W
            or ParameterNames.Ln1B
            or ParameterNames.Ln2W
            or ParameterNames.Ln2B
            or ParameterNames.BO
            or ParameterNames.BOut
            or ParameterNames.Ln1PostW
            or ParameterNames.Ln2PostW => [d],
            ParameterNames.QNormW => [spec.Block.QkNorm == QkNormKind.FullProjection ? q : spec.HeadDim],
            ParameterNames.KNormW => [spec.Block.QkNorm == QkNormKind.FullProjection ? kv : spec.HeadDim],
            ParameterNames.WQkv => [d, q + 2 * kv],
            ParameterNames.BQkv => [q + 2 * kv],
            ParameterNames.WO => [q, d],
            ParameterNames.WGateIn => [d, 2 * mlp],
            ParameterNames.WIn => [d, mlp],
            ParameterNames.BIn => [mlp],
            ParameterNames.WOut => [mlp, d],
            _ => Families.ModelFamilies.Of(spec).ParameterShape(leaf, spec)
                ?? throw new InvalidOperationException($"no shape rule for parameter '{canonicalName}'"),
        };
    }
}

// Mamba-1 (model_type "mamba"; Gu & Dao 2023, "Mamba: Linear-Time Sequence Modeling with Selective State Spaces",
// arXiv:2312.00752): transformers' MambaConfig keys and defaults (configuration_mamba.py) and MambaForCausalLM's tensor
// names (modeling_mamba.py): backbone.embeddings, backbone.layers.{i}.norm (RMSNorm) and .mixer.{in_proj, conv1d,
// x_proj, dt_proj, A_log, D, out_proj}, backbone.norm_f, and lm_head (tied to the embeddings by default). No attention,
// no positions, no MLP: each block is x + mixer(RMSNorm(x)) (MambaBlock, MambaMixer). Options that only shape
// initialisation or pick a kernel (time_step_min/max/scale/floor/init_scheme, initializer_range,
// rescale_prenorm_residual, use_mambapy, use_cache, fused_add_norm) do not change what the model computes and are read
// past; anything that would change it and is not implemented is refused naming its key.
using System.Globalization;
using System.Text.Json;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Torch.Models.Families;

/// <summary>mamba.</summary>
internal sealed class MambaFamily : IModelFamily
{
    /// <summary>The prefix of the backbone's tensors.</summary>
    private const string Backbone = "backbone.";

    /// <inheritdoc/>
    public IReadOnlyList<string> ModelTypes { get; } = ["mamba"];

    /// <inheritdoc/>
    /// <remarks>d_model = dim, the sizes' layers, expand 2, d_state N = 16, d_conv 4, dt_rank ⌈dim / 16⌉, a convolution bias
    /// and no projection biases (the published mamba-*-hf checkpoints); heads, hidden and context do not apply.</remarks>
    public ModelSpec Shaped(string modelType, ModelSizes sizes) =>
        Spec(
            sizes.VocabSize,
            sizes.Dim,
            sizes.Layers,
            new MambaDesign(StateSize: 16, ConvKernel: 4, Expand: 2, TimeStepRank: (sizes.Dim + 15) / 16, ProjectionBias: false),
            tieWordEmbeddings: sizes.Tied
        );

    /// <summary>MambaConfig's keys with its defaults (hidden_size 768, state_size 16, 32 layers, expand 2, conv_kernel 4,
    /// use_bias and use_conv_bias true, residual_in_fp32 true, time_step_rank "auto" = ⌈hidden_size / 16⌉, a tied head).</summary>
    public ModelSpec Read(ConfigKeys c, string modelType)
    {
        var activation = c.String("hidden_act") ?? "silu";
        if (activation is not ("silu" or "swish")) // transformers' ACT2FN maps both to SiLU
            throw c.Error("hidden_act", $"'{activation}' is not supported (Mamba's mixer gates and activates with silu)");
        if (c.Bool("rms_norm") == false)
            throw c.Error("rms_norm", "LayerNorm blocks are not supported (transformers' Mamba normalises with RMSNorm)");
        var hidden = c.Int("hidden_size") ?? 768;
        var expand = c.Int("expand") ?? 2;
        var inner = expand * hidden;
        if (c.Int("intermediate_size") is { } given && given != inner)
            throw c.Error("intermediate_size", $"{given} disagrees with expand × hidden_size = {expand} × {hidden} = {inner}");
        var rank = c.KindOf("time_step_rank") switch
        {
            null => (hidden + 15) / 16,
            JsonValueKind.String when c.String("time_step_rank") == "auto" => (hidden + 15) / 16,
            JsonValueKind.String => throw c.Error("time_step_rank", "must be an integer or \"auto\""),
            _ => c.Int("time_step_rank")!.Value,
        };
        var design = new MambaDesign(
            StateSize: c.Int("state_size") ?? 16,
            ConvKernel: c.Int("conv_kernel") ?? 4,
            Expand: expand,
            TimeStepRank: rank,
            ConvBias: c.Bool("use_conv_bias") ?? true,
            ProjectionBias: c.Bool("use_bias") ?? true,
            ResidualInFp32: c.Bool("residual_in_fp32") ?? true
        );
        return new ModelSpec(
            ModelType: modelType,
            VocabSize: c.Int("vocab_size") ?? 50280,
            HiddenSize: hidden,
            IntermediateSize: inner,
            NumLayers: c.Int("num_hidden_layers") ?? 32,
            NumHeads: 0,
            NumKvHeads: 0,
            HeadDim: 0,
            RmsNormEps: c.Double("layer_norm_epsilon") ?? 1e-5,
            RopeTheta: 0,
            RopeScaling: null,
            TieWordEmbeddings: c.Bool("tie_word_embeddings") ?? true,
            QkvBias: false,
            OutputBias: false,
            MaxPositionEmbeddings: int.MaxValue,
            TorchDType: c.String("torch_dtype") ?? c.String("dtype"),
            BosTokenId: c.Int("bos_token_id"),
            EosTokenIds: c.IntList("eos_token_id"),
            Design: Design(design)
        );
    }

    /// <summary>The block design of a Mamba with <paramref name="sizes"/>: RMSNorm, no positions, the Mamba mixer.</summary>
    public static BlockDesign Design(MambaDesign sizes) =>
        new()
        {
            Norm = NormKind.Rms,
            Positions = PositionKind.None,
            Mixer = MixerKind.Mamba,
            Mamba = sizes,
        };

    /// <summary>A Mamba spec by named sizes (transformers' MambaConfig keys), for tests and random models.</summary>
    /// <param name="vocabSize">vocab_size.</param>
    /// <param name="hiddenSize">hidden_size, d_model.</param>
    /// <param name="numLayers">num_hidden_layers.</param>
    /// <param name="sizes">state_size, conv_kernel, expand, time_step_rank and the biases.</param>
    /// <param name="layerNormEpsilon">layer_norm_epsilon.</param>
    /// <param name="tieWordEmbeddings">tie_word_embeddings.</param>
    public static ModelSpec Spec(
        int vocabSize,
        int hiddenSize,
        int numLayers,
        MambaDesign sizes,
        double layerNormEpsilon = 1e-5,
        bool tieWordEmbeddings = true
    ) =>
        new(
            ModelType: "mamba",
            VocabSize: vocabSize,
            HiddenSize: hiddenSize,
            IntermediateSize: sizes.Expand * hiddenSize,
            NumLayers: numLayers,
            NumHeads: 0,
            NumKvHeads: 0,
            HeadDim: 0,
            RmsNormEps: layerNormEpsilon,
            RopeTheta: 0,
            RopeScaling: null,
            TieWordEmbeddings: tieWordEmbeddings,
            QkvBias: false,
            OutputBias: false,
            MaxPositionEmbeddings: int.MaxValue,
            Design: Design(sizes)
        );

    /// <inheritdoc/>
    public void Write(Utf8JsonWriter json, ModelSpec spec)
    {
        var m = spec.Block.Mamba!;
        json.WriteStartArray("architectures");
        json.WriteStringValue("MambaForCausalLM");
        json.WriteEndArray();
        json.WriteString("model_type", spec.ModelType);
        json.WriteNumber("vocab_size", spec.VocabSize);
        json.WriteNumber("hidden_size", spec.HiddenSize);
        json.WriteNumber("intermediate_size", spec.IntermediateSize);
        json.WriteNumber("state_size", m.StateSize);
        json.WriteNumber("num_hidden_layers", spec.NumLayers);
        json.WriteNumber("expand", m.Expand);
        json.WriteNumber("conv_kernel", m.ConvKernel);
        json.WriteNumber("time_step_rank", m.TimeStepRank);
        json.WriteBoolean("use_bias", m.ProjectionBias);
        json.WriteBoolean("use_conv_bias", m.ConvBias);
        json.WriteBoolean("residual_in_fp32", m.ResidualInFp32);
        json.WriteString("hidden_act", "silu");
        json.WriteNumber("layer_norm_epsilon", spec.RmsNormEps);
        json.WriteBoolean("tie_word_embeddings", spec.TieWordEmbeddings);
    }

    /// <inheritdoc/>
    /// <remarks>Old checkpoints name the embedding <c>backbone.embedding.weight</c> (transformers' load hook renames it);
    /// when a checkpoint holds that name and not the new one, it is read.</remarks>
    public IReadOnlyList<WeightMapping> Weights(ModelSpec spec, Func<string, bool>? present = null)
    {
        var embedding =
            present is not null && !present(Backbone + "embeddings.weight") && present(Backbone + "embedding.weight")
                ? Backbone + "embedding.weight"
                : Backbone + "embeddings.weight";
        var m = spec.Block.Mamba!;
        var map = new List<WeightMapping>
        {
            // A tied model keeps its one matrix in the head's [in, out] layout (Embeddings.cs).
            spec.TieWordEmbeddings
                ? new(embedding, ParameterNames.UnembedW, true)
                : new(embedding, ParameterNames.EmbedW, false),
        };
        for (var l = 0; l < spec.NumLayers; l++)
        {
            var hf = $"{Backbone}layers.{l}.";
            WeightMapping M(string hfLeaf, string leaf, bool transposed) => new(hf + hfLeaf, ParameterNames.Block(l, leaf), transposed);
            map.Add(M("norm.weight", ParameterNames.Ln1W, false));
            map.Add(M("mixer.in_proj.weight", ParameterNames.MambaWIn, true));
            if (m.ProjectionBias)
                map.Add(M("mixer.in_proj.bias", ParameterNames.MambaBIn, false));
            map.Add(M("mixer.conv1d.weight", ParameterNames.MambaWConv, false));
            if (m.ConvBias)
                map.Add(M("mixer.conv1d.bias", ParameterNames.MambaBConv, false));
            map.Add(M("mixer.x_proj.weight", ParameterNames.MambaWX, true));
            map.Add(M("mixer.dt_proj.weight", ParameterNames.MambaWDt, true));
            map.Add(M("mixer.dt_proj.bias", ParameterNames.MambaBDt, false));
            map.Add(M("mixer.A_log", ParameterNames.MambaALog, false));
            map.Add(M("mixer.D", ParameterNames.MambaD, false));
            map.Add(M("mixer.out_proj.weight", ParameterNames.MambaWOut, true));
            if (m.ProjectionBias)
                map.Add(M("mixer.out_proj.bias", ParameterNames.MambaBOut, false));
        }
        map.Add(new(Backbone + "norm_f.weight", ParameterNames.FinalNormW, false));
        if (!spec.TieWordEmbeddings)
            map.Add(new("lm_head.weight", ParameterNames.UnembedW, true));
        return map;
    }

    /// <inheritdoc/>
    /// <remarks>A tied checkpoint may repeat the embedding as lm_head.weight.</remarks>
    public bool IsIgnorable(string hfName, ModelSpec spec) => spec.TieWordEmbeddings && hfName == "lm_head.weight";

    /// <inheritdoc/>
    public (string Key, string Problem)? FindProblem(ModelSpec spec)
    {
        if (spec.Block.Mixer != MixerKind.Mamba || spec.Block.Mamba is not { } m)
            return ("model_type", "a mamba spec needs the Mamba design (build it with MambaFamily.Spec or from config.json)");
        foreach (
            var (key, value) in new[]
            {
                ("vocab_size", spec.VocabSize),
                ("hidden_size", spec.HiddenSize),
                ("num_hidden_layers", spec.NumLayers),
                ("state_size", m.StateSize),
                ("conv_kernel", m.ConvKernel),
                ("expand", m.Expand),
                ("time_step_rank", m.TimeStepRank),
            }
        )
            if (value <= 0)
                return (key, $"must be positive, is {value}");
        if ((long)m.Expand * spec.HiddenSize != spec.IntermediateSize)
            return ("intermediate_size", $"{spec.IntermediateSize} is not expand × hidden_size = {m.Expand} × {spec.HiddenSize}");
        if (!(spec.RmsNormEps > 0))
            return ("layer_norm_epsilon", "must be positive");
        if (spec.Block.Norm != NormKind.Rms || spec.Block.Positions != PositionKind.None)
            return ("model_type", "mamba blocks are RMSNorm blocks without position embeddings");
        return null;
    }

    /// <inheritdoc/>
    public string DescribeSizes(ModelSpec spec)
    {
        var m = spec.Block.Mamba;
        return string.Create(
            CultureInfo.InvariantCulture,
            $"vocab_size {spec.VocabSize}, hidden_size {spec.HiddenSize}, intermediate_size {spec.IntermediateSize}, "
                + $"state_size {m?.StateSize}, conv_kernel {m?.ConvKernel}, time_step_rank {m?.TimeStepRank}"
        );
    }

    /// <inheritdoc/>
    public long[]? ParameterShape(string leaf, ModelSpec spec)
    {
        if (spec.Block.Mamba is not { } m)
            return null;
        long d = spec.HiddenSize,
            inner = spec.IntermediateSize,
            n = m.StateSize,
            rank = m.TimeStepRank;
        return leaf switch
        {
            ParameterNames.MambaWIn => [d, 2 * inner],
            ParameterNames.MambaBIn => [2 * inner],
            ParameterNames.MambaWConv => [inner, 1, m.ConvKernel],
            ParameterNames.MambaBConv or ParameterNames.MambaBDt or ParameterNames.MambaD => [inner],
            ParameterNames.MambaWX => [inner, rank + 2 * n],
            ParameterNames.MambaWDt => [rank, inner],
            ParameterNames.MambaALog => [inner, n],
            ParameterNames.MambaWOut => [inner, d],
            ParameterNames.MambaBOut => [d],
            _ => null,
        };
    }
}

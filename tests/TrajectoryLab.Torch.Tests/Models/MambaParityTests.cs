// The TorchSharp Mamba against the independent double-precision reference over its Hugging Face tensors: logits and
// every hook point agree within 1e-4, absolute and relative (max |Δ| / max |reference|), on tiny random configs that
// cover every option; the hook names are HookNames.All; parameters carry canonical names and shapes; config.json of
// transformers' MambaConfig reads with its defaults, refuses what is not computed naming the key, and round-trips;
// save then load is bit-exact.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Models.Families;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class MambaParityTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    [Theory]
    [MemberData(nameof(TinyMambas.Names), MemberType = typeof(TinyMambas))]
    public void LogitsMatchTheReference(string config)
    {
        using var model = TinyMambas.Create(config);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 12, seed: 3);
        var logits = TinyLlamas.Logits(model, tokens);
        var reference = TinyMambas.Reference(model);
        var per = logits.Length / tokens.Length;
        for (var b = 0; b < tokens.Length; b++)
        {
            var expected = reference.Forward(tokens[b]).SelectMany(r => r).ToArray();
            var (absolute, relative) = Errors(logits.AsSpan(b * per, per), expected);
            output.WriteLine(FormattableString.Invariant($"{config} sequence {b}: logits max |Δ| {absolute:E2}, relative {relative:E2}"));
            Assert.True(absolute < Tolerance && relative < Tolerance,
                FormattableString.Invariant($"{config}: |Δ| {absolute:E2}, relative {relative:E2}"));
        }
    }

    [Theory]
    [MemberData(nameof(TinyMambas.Names), MemberType = typeof(TinyMambas))]
    public void EveryHookPointMatchesTheReference(string config)
    {
        using var model = TinyMambas.Create(config, seed: 11);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 10, seed: 5);
        var captured = new Dictionary<string, double[]>();
        var hookPoints = model.named_modules().Where(m => m.module is HookPoint).ToList();
        Assert.Equal(HookNames.All(model.Spec).Order(), hookPoints.Select(m => m.name).Order());
        foreach (var (name, module) in hookPoints)
            ((HookPoint)module).register_forward_hook((_, _, result) =>
            {
                captured[name] = TinyLlamas.ToDoubles(result);
                return result;
            });
        var logits = TinyLlamas.Logits(model, tokens);
        var reference = TinyMambas.Reference(model);
        var (worstAbsolute, worstRelative, worstName) = (0.0, 0.0, "");
        for (var b = 0; b < tokens.Length; b++)
        {
            var expected = new Dictionary<string, double[]>();
            reference.Forward(tokens[b], expected);
            Assert.Equal(captured.Keys.Order(), expected.Keys.Order());
            foreach (var (name, values) in expected)
            {
                var per = captured[name].Length / tokens.Length;
                var (absolute, relative) = Errors(captured[name].AsSpan(b * per, per), values);
                if (absolute > worstAbsolute) (worstAbsolute, worstName) = (absolute, name);
                worstRelative = Math.Max(worstRelative, relative);
                Assert.True(absolute < Tolerance && relative < Tolerance,
                    FormattableString.Invariant($"{config} {name} sequence {b}: |Δ| {absolute:E2}, relative {relative:E2}"));
            }
        }
        Assert.Equal(captured[HookNames.Logits], logits);
        output.WriteLine(FormattableString.Invariant(
            $"{config}: worst hook-point |Δ| {worstAbsolute:E2} ({worstName}), worst relative {worstRelative:E2}"));
    }

    [Theory]
    [MemberData(nameof(TinyMambas.Names), MemberType = typeof(TinyMambas))]
    public void ParametersCarryTheCanonicalNamesAndShapes(string config)
    {
        using var model = new DecoderModel(TinyMambas.Specs[config]);
        var parameters = model.named_parameters().ToDictionary(p => p.name, p => p.parameter.shape);
        var map = HfWeightMap.For(model.Spec);
        Assert.Equal(map.Select(m => m.CanonicalName).Order(), parameters.Keys.Order());
        foreach (var m in map)
            Assert.Equal(HfModelFolder.CanonicalShape(m.CanonicalName, model.Spec), parameters[m.CanonicalName]);
    }

    [Theory]
    [MemberData(nameof(TinyMambas.Names), MemberType = typeof(TinyMambas))]
    public void SaveThenLoadIsBitExactAndTheConfigRoundTrips(string config)
    {
        using var model = TinyMambas.Create(config);
        using var folder = new TempFolder();
        HfModelFolder.Save(model, folder.Path);
        var read = HfConfigReader.Read(folder.File(HfConfigReader.FileName));
        Assert.Equal(model.Spec with { TorchDType = "float32", EosTokenIds = null }, read with { EosTokenIds = null });
        using var loaded = HfModelFolder.Load(folder.Path);
        var before = model.named_parameters().ToDictionary(p => p.name, p => TinyLlamas.ToDoubles(p.parameter));
        foreach (var (name, p) in loaded.named_parameters())
            Assert.Equal(before[name], TinyLlamas.ToDoubles(p));
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 1, length: 6, seed: 2);
        Assert.Equal(TinyLlamas.Logits(model, tokens), TinyLlamas.Logits(loaded, tokens));
    }

    [Fact]
    public void ReadsMambaConfigWithTransformersDefaults()
    {
        using var folder = new TempFolder();
        var path = folder.File(HfConfigReader.FileName);
        // state-spaces/mamba-130m-hf's config.json, abridged: the keys transformers reads, and some it does not.
        File.WriteAllText(path, """
            {"architectures": ["MambaForCausalLM"], "model_type": "mamba", "bos_token_id": 0, "eos_token_id": 0,
             "conv_kernel": 4, "expand": 2, "fused_add_norm": true, "hidden_act": "silu", "hidden_size": 768,
             "initializer_range": 0.1, "intermediate_size": 1536, "layer_norm_epsilon": 1e-05, "n_layer": 24,
             "num_hidden_layers": 24, "pad_token_id": 0, "rescale_prenorm_residual": false, "residual_in_fp32": true,
             "rms_norm": true, "state_size": 16, "time_step_floor": 0.0001, "time_step_init_scheme": "random",
             "time_step_max": 0.1, "time_step_min": 0.001, "time_step_rank": 48, "time_step_scale": 1.0,
             "torch_dtype": "float32", "use_bias": false, "use_cache": true, "use_conv_bias": true, "vocab_size": 50280}
            """);
        var spec = HfConfigReader.Read(path);
        var expected = MambaFamily.Spec(50280, 768, 24, new MambaDesign(16, 4, 2, 48, ConvBias: true, ProjectionBias: false));
        Assert.Equal(expected with { TorchDType = "float32", BosTokenId = 0, EosTokenIds = null }, spec with { EosTokenIds = null });
        Assert.Equal([0], spec.EosTokenIds!);

        File.WriteAllText(path, """{"model_type": "mamba"}""");
        var defaults = HfConfigReader.Read(path); // MambaConfig(): 768 wide, 32 layers, rank "auto" = 48, biases on, tied
        var transformersDefaults = MambaFamily.Spec(50280, 768, 32, new MambaDesign(16, 4, 2, 48, ConvBias: true, ProjectionBias: true));
        Assert.Equal(transformersDefaults with { EosTokenIds = [] },
            defaults with { EosTokenIds = [] });
        File.WriteAllText(path, """{"model_type": "mamba", "hidden_size": 40, "time_step_rank": "auto"}""");
        Assert.Equal(3, HfConfigReader.Read(path).Block.Mamba!.TimeStepRank); // ⌈40 / 16⌉
    }

    [Theory]
    [InlineData("""{"model_type": "mamba", "hidden_act": "gelu"}""", "hidden_act", "'gelu' is not supported")]
    [InlineData("""{"model_type": "mamba", "rms_norm": false}""", "rms_norm", "LayerNorm")]
    [InlineData("""{"model_type": "mamba", "hidden_size": 64, "expand": 2, "intermediate_size": 100}""", "intermediate_size",
        "expand × hidden_size")]
    [InlineData("""{"model_type": "mamba", "time_step_rank": "big"}""", "time_step_rank", "integer or \"auto\"")]
    [InlineData("""{"model_type": "mamba", "state_size": 0}""", "state_size", "must be positive")]
    [InlineData("""{"model_type": "mamba", "expand": 1.5}""", "expand", "must be an integer")]
    public void UnsupportedOrInconsistentKeysAreRefusedByName(string json, string key, string detail)
    {
        using var folder = new TempFolder();
        var path = folder.File(HfConfigReader.FileName);
        File.WriteAllText(path, json);
        var e = Assert.Throws<CheckpointException>(() => HfConfigReader.Read(path));
        Assert.Contains(key, e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void OldCheckpointsNameTheEmbeddingWithoutTheS()
    {
        using var model = TinyMambas.Create("mamba-tied");
        using var folder = new TempFolder();
        HfModelFolder.Save(model, folder.Path);
        var weights = folder.File(SafetensorsCheckpoint.SingleFileName);
        var writer = new SafetensorsWriter();
        using (var reader = SafetensorsReader.Open(weights))
            foreach (var entry in reader.Header.Tensors)
            {
                using var tensor = reader.ReadTensor(entry.Name);
                var name = entry.Name == "backbone.embeddings.weight" ? "backbone.embedding.weight" : entry.Name;
                writer.Add(name, TinyLlamas.ToDoubles(tensor).Select(v => (float)v).ToArray(), entry.Shape);
            }
        writer.Save(weights);
        using var loaded = HfModelFolder.Load(folder.Path);
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 1, length: 5, seed: 4);
        Assert.Equal(TinyLlamas.Logits(model, tokens), TinyLlamas.Logits(loaded, tokens));
    }

    [Fact]
    public void APositionFreeModelHasNoPositionHookAndAttentionHooksAreAbsent()
    {
        using var model = TinyMambas.Create("mamba-tied");
        var names = HookNames.All(model.Spec);
        Assert.DoesNotContain(HookNames.PosEmbed, names);
        Assert.DoesNotContain(names, n => n.Contains("attn", StringComparison.Ordinal) || n.Contains("mlp", StringComparison.Ordinal));
        var e = Assert.Throws<ArgumentException>(() => model.Hook(HookNames.AttnPattern(0)));
        Assert.Contains(HookNames.MambaSsmState(0), e.Message);
        Assert.Equal(ModelArchitecture.Mamba, model.Spec.Architecture);
        using var folder = new TempFolder();
        Assert.Throws<NotSupportedException>(() => Llama2cCheckpoint.Write(model, folder.File("model.bin"))); // run.c has no Mamba
    }

    /// <summary>max |a − b| and max |a − b| / max |b|.</summary>
    internal static (double Absolute, double Relative) Errors(ReadOnlySpan<double> actual, ReadOnlySpan<double> expected)
    {
        Assert.Equal(expected.Length, actual.Length);
        double diff = 0, scale = 0;
        for (var i = 0; i < expected.Length; i++)
        {
            diff = Math.Max(diff, Math.Abs(actual[i] - expected[i]));
            scale = Math.Max(scale, Math.Abs(expected[i]));
        }
        return (diff, diff / scale);
    }
}

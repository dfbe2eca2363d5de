// The pure parts of the GPU benchmark: the parameter count and streamed bytes of a Llama spec (checked against a real
// model built from the spec), the bandwidth and arithmetic floors, best-of timing, and the PyTorch baseline reader
// (ratios' inputs, config mismatches, errors naming the file and key).
using TrajectoryLab.Torch.Bench;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Bench;

public sealed class GpuBenchTests
{
    static ModelSpec Llama(bool tied) => new("llama", 100, 32, 64, 2, 4, 2, 8, 1e-5, 10_000, null, tied, false, false, 64);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void ParameterCountMatchesTheBuiltModel(bool tied)
    {
        using var model = CausalLm.Create(Llama(tied));
        Assert.Equal(model.parameters().Sum(p => p.numel()), GpuBenchMath.LlamaParameters(Llama(tied)));
    }

    [Fact]
    public void TheIssuesConfigStreamsAllButTheUntiedEmbedding()
    {
        var spec = ModelSpec.Llama(32_000, 2048, 8192, 16, 32, numKvHeads: 8, context: 2048);
        var parameters = GpuBenchMath.LlamaParameters(spec);
        // 16 × (2048·2048·2 + 2048·512·2 + 3·2048·8192 + 2·2048) + 2·32000·2048 + 2048
        Assert.Equal(1_104_218_112L, parameters);
        Assert.Equal(parameters - 32_000L * 2048, GpuBenchMath.StreamedParameters(parameters, spec));
        Assert.Equal(parameters, GpuBenchMath.StreamedParameters(parameters, spec with { TieWordEmbeddings = true }));
    }

    [Fact]
    public void FloorsAndFractionFollowTheRoofline()
    {
        Assert.Equal(2, GpuBenchMath.ElementBytes("bfloat16"));
        Assert.Equal(4, GpuBenchMath.ElementBytes("float32"));
        Assert.Throws<ArgumentException>(() => GpuBenchMath.ElementBytes("int8"));
        Assert.Equal(1.0, GpuBenchMath.BandwidthFloorMilliseconds(3.35e9, 3.35e12), 12);
        Assert.Equal(0.5, GpuBenchMath.BandwidthFraction(3.35e9, 2e-3, 3.35e12), 12);
        Assert.Equal(2.0 * 1000 * 64 / 1e12 * 1e3, GpuBenchMath.ArithmeticFloorMilliseconds(1000, 64, 1e12), 15);
    }

    [Fact]
    public void BestOfIgnoresNonFiniteTimings()
    {
        Assert.Equal(0.2, DeviceClock.BestOf([0.5, double.NaN, 0.2, 0.3]));
        Assert.Equal(double.PositiveInfinity, DeviceClock.BestOf([]));
    }

    const string Sample = """
        { "schema": 1, "versions": { "torch": "2.11.0", "transformers": "4.57.0", "cuda": "13.0", "gpu": "NVIDIA H100" },
          "device": "cuda", "dtype": "bfloat16",
          "config": { "dim": 2048, "promptTokens": 128, "tied": 0 },
          "figures": { "eager": { "decode_tokens_per_second": { "1": 50.5, "64": 2000 }, "generate_tokens_per_second": { "1": 45 },
                                  "prefill_tokens_per_second": 30000 } } }
        """;

    [Fact]
    public void ReadsTheBaselineAndNamesConfigMismatches()
    {
        var b = PyTorchBaseline.Parse(Sample, "hf.json");
        Assert.Equal("2.11.0", b.Versions["torch"]);
        Assert.Equal(50.5, b.Figures["eager"].Decode[1]);
        Assert.Equal(2000, b.Figures["eager"].Decode[64]);
        Assert.Equal(30000, b.Figures["eager"].PrefillTokensPerSecond);
        var mismatches = b.Mismatches(new Dictionary<string, double> { ["dim"] = 2048, ["promptTokens"] = 64, ["newTokens"] = 256 });
        Assert.Equal(["promptTokens: 64 vs 128", "newTokens: 256 vs absent"], mismatches);
    }

    [Theory]
    [InlineData("{", "not valid JSON")]
    [InlineData("""{ "schema": 2 }""", "key 'schema'")]
    [InlineData("""{ "schema": 1, "versions": {}, "config": {}, "device": "cuda", "dtype": "bfloat16", "figures": { "eager": { "decode_tokens_per_second": { "x": 1 } } } }""", "key 'figures.eager.decode_tokens_per_second.x'")]
    [InlineData("""{ "schema": 1, "versions": {}, "config": {}, "device": "cuda", "dtype": "bfloat16", "figures": { "eager": { "decode_tokens_per_second": {}, "generate_tokens_per_second": {} } } }""", "key 'figures.eager.prefill_tokens_per_second' is missing")]
    public void BadBaselinesNameTheFileAndKey(string json, string expected)
    {
        var e = Assert.Throws<FormatException>(() => PyTorchBaseline.Parse(json, "hf.json"));
        Assert.StartsWith("hf.json: ", e.Message);
        Assert.Contains(expected, e.Message);
    }
}

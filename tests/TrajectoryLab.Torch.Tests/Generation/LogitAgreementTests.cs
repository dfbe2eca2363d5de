// The same random Llama in float32, bfloat16 and float16 gives the same logits within each dtype's tolerance; a model
// whose weights differ by far less than a bug would change them already fails it; CUDA, when libtorch sees a GPU, agrees
// with the CPU in every dtype (skipped, saying so, on machines without one).
using FsCheck;
using FsCheck.Fluent;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Generation;

public sealed class LogitAgreementTests
{
    // GQA, untied head, 4 blocks; std 0.1 makes logits of order 1 rather than 0.
    static readonly ModelSpec Spec = new("llama", 512, 128, 256, 4, 4, 2, 32, 1e-5, 10_000, null, false, false, false, 128);
    static readonly int[] Tokens = [.. Enumerable.Range(0, 24).Select(i => (i * 37 + 11) % 512)];

    static LanguageModel Model(string dtype, string device = "cpu", long seed = 5) =>
        LanguageModel.Random(Spec, seed, new ModelOptions { DType = dtype, Device = device }, std: 0.1);

    [Theory]
    [InlineData("bfloat16")]
    [InlineData("float16")]
    public void LowerPrecisionAgreesWithinItsTolerance(string dtype)
    {
        using var reference = Model("float32");
        using var candidate = Model(dtype);
        var result = LogitAgreement.Compare(reference, candidate, Tokens);
        Assert.Equal(Tokens.Length, result.Positions.Count);
        Assert.True(result.WithinTolerance, $"{dtype}: max relative error {result.MaxRelativeError:E3} > tolerance {result.Tolerance:E3}");
        Assert.True(result.MaxRelativeError > 0, "a different dtype must round somewhere"); // the comparison really ran in two dtypes
        Assert.True(result.MeanKl < 1e-2, $"mean KL {result.MeanKl}");
    }

    [Fact]
    public void Float32AgainstItselfIsExact()
    {
        using var a = Model("float32");
        using var b = Model("float32");
        var result = LogitAgreement.Compare(a, b, Tokens);
        Assert.Equal(0, result.MaxRelativeError);
        Assert.Equal(1, result.ArgmaxAgreement);
    }

    [Fact]
    public void AModelWithSlightlyDifferentWeightsFailsTheBfloat16Tolerance()
    {
        // Another seed's weights are a different model: the tolerance must not be so loose that it passes.
        using var reference = Model("float32");
        using var other = Model("float32", seed: 6);
        var unrelated = LogitAgreement.Compare(reference, other, Tokens);
        Assert.True(unrelated.MaxRelativeError > LogitAgreement.Tolerance("bfloat16", Spec.NumLayers), $"another model: {unrelated.MaxRelativeError:E3}");

        // One weight matrix scaled by 1 % — a bug far smaller than a wrong kernel — already leaves the float32 tolerance,
        // and by 10 % the float16 one.
        foreach (var (scale, dtype) in new[] { (1.01, "float32"), (1.10, "float16") })
        {
            using var nudged = Model("float32");
            using (no_grad()) nudged.Model.named_parameters().First(p => p.name == "blocks.1.mlp.W_out").parameter.mul_(scale);
            var error = LogitAgreement.Compare(reference, nudged, Tokens).MaxRelativeError;
            var tolerance = LogitAgreement.Tolerance(dtype, Spec.NumLayers);
            Assert.True(error > tolerance, $"W_out × {scale}: max relative error {error:E3}, {dtype} tolerance {tolerance:E3}");
        }
    }

    [Fact]
    public void ToleranceIsTheUnitRoundoffTimesTheGrowthFactor()
    {
        Assert.Equal(Math.Pow(2, -24), LogitAgreement.UnitRoundoff("float32"));
        Assert.Equal(Math.Pow(2, -11), LogitAgreement.UnitRoundoff("float16"));
        Assert.Equal(Math.Pow(2, -8), LogitAgreement.UnitRoundoff("bfloat16"));
        Assert.Equal(8 * Math.Pow(2, -8) * 3, LogitAgreement.Tolerance("bfloat16", 7), 12);
        Assert.Throws<ArgumentException>(() => LogitAgreement.UnitRoundoff("int8"));
    }

    [Fact]
    public void PositionComparisonOfKnownRows()
    {
        var p = LogitAgreement.At(3, [0f, 1f, 2f], [0f, 1f, 2.5f]);
        Assert.Equal(0.5, p.MaxAbsError, 12);
        Assert.Equal(0.25, p.RelativeError, 12);
        Assert.True(p.SameArgmax);
        // KL(p‖q) for p = softmax(0, 1, 2), q = softmax(0, 1, 2.5), computed by hand.
        double[] zp = [0, 1, 2], zq = [0, 1, 2.5];
        double lp = Math.Log(zp.Sum(Math.Exp)), lq = Math.Log(zq.Sum(Math.Exp));
        var kl = zp.Select((z, k) => Math.Exp(z - lp) * (z - lp - (zq[k] - lq))).Sum();
        Assert.Equal(kl, p.Kl, 12);
        Assert.True(double.IsNaN(LogitAgreement.At(0, [0f, 1f], [float.NaN, 1f]).RelativeError));
    }

    [CudaTheory]
    [InlineData("float32")]
    [InlineData("bfloat16")]
    [InlineData("float16")]
    public void CudaAgreesWithTheCpu(string dtype)
    {
        using var reference = Model("float32");
        using var candidate = Model(dtype, "cuda");
        var result = LogitAgreement.Compare(reference, candidate, Tokens);
        Assert.True(result.WithinTolerance, $"cuda {dtype}: max relative error {result.MaxRelativeError:E3} > tolerance {result.Tolerance:E3}");
    }
}

/// <summary>A theory that runs only where libtorch sees a CUDA device; elsewhere it is skipped with the reason.</summary>
public sealed class CudaTheoryAttribute : TheoryAttribute
{
    /// <summary>Skips unless torch.cuda.is_available().</summary>
    public CudaTheoryAttribute()
    {
        if (!cuda.is_available()) Skip = "no CUDA device visible to libtorch (TorchSharp-cpu, or no GPU): build with -p:TorchBackend=cuda on a GPU machine";
    }
}

/// <summary>FsCheck properties of one position's comparison: identity, shift invariance of the distributions, KL ≥ 0 with
/// equality only for equal distributions, and the relative error's scale invariance.</summary>
public sealed class LogitAgreementProperties
{
    // logits in [−5, 5]: every probability is at least e^−10 / n, so a moved logit changes the distribution measurably
    static readonly Arbitrary<float[]> Logits = Gen.Choose(-500, 500)
        .Select(i => i / 100f).ArrayOf().Where(a => a.Length is >= 2 and <= 40).ToArbitrary();

    [Property(MaxTest = 200)]
    public Property IdenticalRowsAgreeExactly() => Prop.ForAll(Logits, z =>
    {
        var p = LogitAgreement.At(0, z, z);
        return p.MaxAbsError == 0 && p.RelativeError == 0 && p.Kl == 0 && p.SameArgmax;
    });

    [Property(MaxTest = 200)]
    public Property AShiftedRowIsTheSameDistribution() => Prop.ForAll(Logits, z =>
    {
        // softmax(z + c) = softmax(z): the KL vanishes (to rounding) and the argmax stays, though the logits differ by c.
        var p = LogitAgreement.At(0, z, [.. z.Select(v => v + 3f)]);
        return p.Kl < 1e-9 && p.SameArgmax && Math.Abs(p.MaxAbsError - 3) < 1e-3;
    });

    [Property(MaxTest = 200)]
    public Property KlIsNonNegativeAndPositiveForAnotherDistribution() => Prop.ForAll(Logits, z =>
    {
        var q = z.ToArray();
        q[0] += 1f; // moves mass between token 0 and the rest: a different distribution
        var p = LogitAgreement.At(0, z, q);
        return p.Kl > 0 && p.MaxAbsError > 0.99 && LogitAgreement.At(0, q, z).Kl > 0;
    });

    [Property(MaxTest = 200)]
    public Property RelativeErrorIsScaleFree() => Prop.ForAll(Logits, z =>
    {
        if (z.All(v => v == 0)) return true;
        var q = z.Select(v => v * 1.001f).ToArray();
        var (a, b) = (LogitAgreement.At(0, z, q), LogitAgreement.At(0, [.. z.Select(v => v * 8)], [.. q.Select(v => v * 8)]));
        return Math.Abs(a.RelativeError - b.RelativeError) <= 1e-6 * Math.Max(1, a.RelativeError);
    });
}

// The lens identities: at the last site the logit lens is the model's logits exactly (every architecture); every metric
// of a reading agrees with Core's entropy and KL on the same rows; the identity tuned lens is the logit lens; training
// lowers every intermediate site's KL and brings a last-site translator started away from identity back to the model's
// own distribution; a saved lens reads back identically, and a corrupted one is refused naming the tensor; repeated
// readings leave the live tensor count flat. References: nostalgebraist (2020); Belrose et al. (2023), arXiv:2303.08112.
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Lens;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Lens;

public sealed class LensTests
{
    public static TheoryData<string> Architectures =>
        new([.. TinyLlamas.Specs.Keys, .. TinyMambas.Specs.Keys.Select(k => "mamba:" + k), "gpt2"]);

    private static LanguageModel Create(string name, long seed = 7) =>
        name == "gpt2" ? LanguageModel.Random(ModelSpec.Gpt2(vocabSize: 61, nEmbd: 32, nLayer: 2, nHead: 4, nPositions: 32), seed, std: 0.3)
        : name.StartsWith("mamba:", StringComparison.Ordinal) ? new(TinyMambas.Create(name["mamba:".Length..], seed))
        : new(TinyLlamas.Create(name, seed));

    private static int[] Tokens(LanguageModel model, int length, int seed) => TinyLlamas.Tokens(model.Spec, 1, length, seed)[0];

    [Theory]
    [MemberData(nameof(Architectures))]
    public void LogitLensAtTheLastSiteIsTheModelsLogitsExactly(string name)
    {
        using var model = Create(name);
        var reading = LensPass.Read(model, Tokens(model, 12, 3));
        Assert.Equal(0.0, reading.LastSiteMaxDifference);
        var last = model.Spec.NumLayers;
        Assert.All(reading.Logit.KlToFinal[last], kl => Assert.Equal(0.0, kl, 12));
        Assert.All(reading.Logit.AgreesTop1[last], Assert.True);
        Assert.All(reading.Logit.RankOfFinalTop1[last], r => Assert.Equal(1, r));
        Assert.Equal(reading.FinalEntropy, reading.Logit.Entropy[last]);
    }

    [Fact]
    public void EveryMetricAgreesWithCoreOnTheSameRows()
    {
        using var model = Create("gqa-untied");
        var tokens = Tokens(model, 10, 5);
        var reading = LensPass.Read(model, tokens);
        var vocab = model.Spec.VocabSize;
        double[] final;
        double[][] lens;
        using (var scope = NewDisposeScope())
        {
            var pass = ResidualCapture.Run(model, tensor(tokens.Select(t => (long)t).ToArray(), [1, tokens.Length]));
            final = TinyLlamas.ToDoubles(pass.Logits);
            using var noGrad = no_grad();
            lens = [.. pass.Residuals.Select(h => TinyLlamas.ToDoubles(model.Model.Head(h)))];
        }
        for (var s = 0; s < lens.Length; s++)
        for (var t = 0; t < tokens.Length; t++)
        {
            var z = lens[s].AsSpan(t * vocab, vocab);
            var f = final.AsSpan(t * vocab, vocab);
            var split = CrossEntropy.Compute(f, z);
            Assert.Equal(split.Kl, reading.Logit.KlToFinal[s][t], 1e-10);
            Assert.Equal(TokenEntropy.OfLogits(z).Entropy, reading.Logit.Entropy[s][t], 1e-10);
            var top = f.IndexOf(MaxOf(f));
            var zTop = z[top];
            var expectedRank = 1 + z.ToArray().Count(v => v > zTop);
            Assert.Equal(expectedRank, reading.Logit.RankOfFinalTop1[s][t]);
            Assert.Equal(z.IndexOf(MaxOf(z)) == top, reading.Logit.AgreesTop1[s][t]);
            if (t < tokens.Length - 1)
            {
                var logProbs = new double[vocab];
                LogProbabilities.FromLogits(z, logProbs, 1.0, null, out _);
                Assert.Equal(-logProbs[tokens[t + 1]], reading.Logit.NextTokenSurprisal[s][t], 1e-10);
            }
        }
    }

    private static double MaxOf(ReadOnlySpan<double> row)
    {
        var max = double.NegativeInfinity;
        foreach (var v in row)
            max = Math.Max(max, v);
        return max;
    }

    [Fact]
    public void TheIdentityTunedLensIsTheLogitLens()
    {
        using var model = Create("mha-tied");
        using var lens = TunedLens.Identity(model.Spec.NumLayers + 1, model.Spec.HiddenSize);
        var reading = LensPass.Read(model, Tokens(model, 9, 1), lens);
        Assert.Equal(reading.Logit.KlToFinal, reading.Tuned!.KlToFinal);
        Assert.Equal(reading.Logit.Entropy, reading.Tuned.Entropy);
        Assert.Equal(reading.Logit.RankOfFinalTop1, reading.Tuned.RankOfFinalTop1);
    }

    private static List<int[]> Windows(LanguageModel model, int count, int length) =>
        [.. Enumerable.Range(0, count).Select(i => Tokens(model, length, 100 + i))];

    [Fact]
    public void TrainingLowersEveryIntermediateSitesKlAndLeavesTheLastAtIdentity()
    {
        using var model = Create("gqa-untied");
        var sites = model.Spec.NumLayers + 1;
        using var lens = TunedLens.Identity(sites, model.Spec.HiddenSize);
        var curve = TunedLensTrainer.Train(model, lens, Windows(model, 8, 16), new TunedLensTraining(Steps: 80, LearningRate: 1.0));
        for (var s = 0; s < sites - 1; s++)
        {
            var late = curve[^5..].Average(c => c[s]);
            Assert.True(late < 0.7 * curve[0][s], $"site {s}: KL {curve[0][s]} → {late}");
        }
        // The last site's lens is exact at identity: its loss stays 0 to rounding and its translator where it started.
        Assert.All(curve, c => Assert.True(c[sites - 1] < 1e-9, $"last-site KL {c[sites - 1]}"));
        Assert.True(lens.DistanceFromIdentity()[sites - 1] < 1e-6, $"‖A_L‖/√d = {lens.DistanceFromIdentity()[sites - 1]}");
    }

    [Fact]
    public void ALastTranslatorStartedAwayFromIdentityReturnsToTheModelsDistribution()
    {
        using var model = Create("gqa-untied");
        var sites = model.Spec.NumLayers + 1;
        using var lens = TunedLens.Identity(sites, model.Spec.HiddenSize);
        lens.Perturb(sites - 1, std: 0.15, seed: 4);
        var tokens = Tokens(model, 16, 9);
        var before = LensPass.Read(model, tokens, lens).Tuned!.KlToFinal[sites - 1].Average();
        TunedLensTrainer.Train(model, lens, Windows(model, 8, 16), new TunedLensTraining(Steps: 200, LearningRate: 1.0));
        var after = LensPass.Read(model, tokens, lens).Tuned!.KlToFinal[sites - 1].Average();
        Assert.True(before > 0.01, $"the perturbation should move the lens: KL {before}");
        Assert.True(after < 0.1 * before, $"KL at the last site {before} → {after}");
    }

    [Fact]
    public void ASavedLensReadsBackIdenticallyAndACorruptedOneIsRefusedNamingTheTensor()
    {
        using var model = Create("gqa-untied");
        var sites = model.Spec.NumLayers + 1;
        var width = model.Spec.HiddenSize;
        using var lens = TunedLens.Identity(sites, width);
        TunedLensTrainer.Train(model, lens, Windows(model, 4, 12), new TunedLensTraining(Steps: 5, LearningRate: 1.0));
        using var folder = new TempFolder();
        var path = Path.Combine(folder.Path, "tuned-lens.safetensors");
        lens.Save(path, new Dictionary<string, string> { ["model_sha256"] = "abc" });
        using var loaded = TunedLens.Load(path, sites, width);
        Assert.Equal("abc", loaded.Metadata["model_sha256"]);
        var tokens = Tokens(model, 10, 2);
        Assert.Equal(LensPass.Read(model, tokens, lens).Tuned!.KlToFinal, LensPass.Read(model, tokens, loaded).Tuned!.KlToFinal);

        var writer = new SafetensorsWriter();
        for (var s = 0; s < sites; s++)
        {
            var a = new float[width * width];
            if (s == 1)
                a[5] = float.NaN;
            writer.Add($"translators.{s}.weight", a, width, width).Add($"translators.{s}.bias", new float[width], width);
        }
        var bad = Path.Combine(folder.Path, "bad.safetensors");
        writer.Save(bad);
        var e = Assert.Throws<CheckpointException>(() => TunedLens.Load(bad, sites, width));
        Assert.Contains("translators.1.weight", e.Message);
        var wrongWidth = Assert.Throws<CheckpointException>(() => TunedLens.Load(path, sites, width + 1));
        Assert.Contains("translators.0.weight", wrongWidth.Message);
    }
}

/// <summary>Tensor.TotalCount is process-wide: this runs in the leak tests' collection (alone), after collecting earlier
/// garbage and inside a no-GC region, as LeakTests does.</summary>
[Collection(nameof(LeakTests))]
public sealed class LensLeakTests
{
    [Fact]
    public void RepeatedReadingsAndTrainingKeepTheLiveTensorCountFlat()
    {
        using var model = new LanguageModel(TinyLlamas.Create("gqa-untied"));
        using var lens = TunedLens.Identity(model.Spec.NumLayers + 1, model.Spec.HiddenSize);
        var tokens = TinyLlamas.Tokens(model.Spec, 1, 12, 4)[0];
        var windows = Enumerable.Range(0, 4).Select(i => TinyLlamas.Tokens(model.Spec, 1, 12, 50 + i)[0]).ToList();
        LensPass.Read(model, tokens, lens);
        TunedLensTrainer.Train(model, lens, windows, new TunedLensTraining(Steps: 2));
        GC.Collect();
        GC.WaitForPendingFinalizers();
        Assert.True(GC.TryStartNoGCRegion(64_000_000));
        var before = Tensor.TotalCount;
        for (var i = 0; i < 20; i++)
            LensPass.Read(model, tokens, lens);
        TunedLensTrainer.Train(model, lens, windows, new TunedLensTraining(Steps: 10));
        var after = Tensor.TotalCount;
        GC.EndNoGCRegion();
        Assert.Equal(before, after);
    }
}

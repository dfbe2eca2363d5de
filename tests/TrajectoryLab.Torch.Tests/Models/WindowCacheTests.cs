// A sliding-window layer's state keeps only the columns its queries can still see (WindowCache): for every tiny config
// with windows (Mistral's windows of 3 and 1, Qwen2's and Qwen3's windowed upper layers, Phi-3, Gemma 2's alternating
// layers and Gemma 3's local layers with their own rotary base), a prefill longer than the buffer, 60 one-token steps and
// a 5-token chunk (77 columns) give the logits of a state that keeps every column within 1e-5 absolute, through fused SDPA and
// through the explicit path a hooked hook_pattern takes (whose pattern is also the full cache's, every column); the QR
// re-combination of deviations (MixDeviations) acts alike on both; the buffer stays at 2W columns once the prefill is
// done (or the prefill's length, when it was longer); a pass that needs a dropped column is refused.
using TrajectoryLab.Torch.Models;
using Xunit.Abstractions;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class WindowCacheTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-5;
    private const int Prompt = 12;
    private const int Steps = 60;
    private const int Chunk = 5;
    private const int Capacity = Prompt + Steps + Chunk;

    private static readonly Dictionary<string, Func<DecoderModel>> Configs = new()
    {
        ["mistral-window-3"] = () => TinyQwen3s.Create("mistral-window-3"),
        ["mistral-window-1"] = () => TinyQwen3s.Create("mistral-window-1"),
        ["qwen2-window-upper-layers"] = () => TinyQwen3s.Create("qwen2-window-upper-layers"),
        ["qwen3-window-all-mqa"] = () => TinyQwen3s.Create("qwen3-window-all-mqa"),
        ["phi3-window-head-dim"] = () => TinyPhi3s.Create("phi3-window-head-dim"),
        ["gemma2-layer-types-no-caps"] = () => TinyGemmas.Create("gemma2-layer-types-no-caps"),
        ["gemma3-rope-parameters-caps"] = () => TinyGemmas.Create("gemma3-rope-parameters-caps"),
    };

    public static TheoryData<string> Names => new(Configs.Keys);

    /// <summary>Logits of every pass: a prefill of <see cref="Prompt"/> tokens, then one-token steps and a chunk.</summary>
    private static List<Tensor> Run(DecoderModel model, ModelState state, Tensor tokens, Action<int>? afterPass = null)
    {
        using var noGrad = no_grad();
        var logits = new List<Tensor>();
        long column = 0;
        var passes = new List<int> { Prompt };
        passes.AddRange(Enumerable.Repeat(1, Steps));
        passes.Add(Chunk);
        for (var i = 0; i < passes.Count; i++)
        {
            using var scope = NewDisposeScope();
            var input = tokens.narrow(1, column, passes[i]); // [batch, pass]
            logits.Add(model.Forward(input, state, column, lastPositionOnly: false).MoveToOuterDisposeScope());
            column += passes[i];
            afterPass?.Invoke(i);
        }
        return logits;
    }

    private static double MaxDifference(List<Tensor> a, List<Tensor> b) =>
        a.Zip(b).Max(p => p.First.sub(p.Second).abs().max().item<float>());

    private static Tensor Tokens(ModelSpec spec, int batch) =>
        randint(spec.VocabSize, [batch, Capacity], generator: new Generator(11)); // [batch, capacity]

    [Theory]
    [MemberData(nameof(Names))]
    public void KeepingTheWindowGivesTheLogitsOfKeepingEverything(string config)
    {
        using var model = Configs[config]();
        var tokens = Tokens(model.Spec, batch: 2);
        using var windowed = model.NewState(2, Capacity);
        using var full = model.NewState(2, Capacity, leftPad: null, keepAll: true);
        var windows = Enumerable.Range(0, model.Spec.NumLayers).Select(l => model.Spec.Block.WindowOf(model.Spec, l)).ToArray();
        Assert.Contains(windows, w => w is not null);
        for (var l = 0; l < windows.Length; l++)
            if (windows[l] is { } w)
                Assert.IsType<WindowCache>(windowed.Layer<ILayerState>(l));
            else
                Assert.IsType<AttentionCache>(windowed.Layer<ILayerState>(l));

        var fused = MaxDifference(Run(model, windowed, tokens), Run(model, full, tokens));

        // The explicit path: hook_pattern hooked in every layer; the windowed state's patterns are the full state's.
        var patterns = new List<Tensor>();
        var handles = model
            .named_modules()
            .Where(m => m.name.EndsWith(".hook_pattern", StringComparison.Ordinal))
            .Select(m =>
                ((HookPoint)m.module).register_forward_hook(
                    (_, _, result) =>
                    {
                        patterns.Add(result.detach().clone().DetachFromDisposeScope());
                        return result;
                    }
                )
            )
            .ToList();
        using var windowed2 = model.NewState(2, Capacity);
        using var full2 = model.NewState(2, Capacity, leftPad: null, keepAll: true);
        var explicitWindowed = Run(model, windowed2, tokens);
        var windowedPatterns = patterns.ToList();
        patterns.Clear();
        var explicitFull = Run(model, full2, tokens);
        foreach (var h in handles)
            h.remove();
        var explicitPath = MaxDifference(explicitWindowed, explicitFull);
        Assert.Equal(windowedPatterns.Count, patterns.Count);
        Assert.All(windowedPatterns.Zip(patterns), p => Assert.Equal(p.Second.shape, p.First.shape));
        var pattern = MaxDifference(windowedPatterns, patterns);

        output.WriteLine(
            $"{config}: windows [{string.Join(", ", windows.Select(w => w?.ToString() ?? "-"))}], largest |Δ| logits fused "
                + $"{fused:E2}, explicit {explicitPath:E2}, patterns {pattern:E2}"
        );
        Assert.True(fused <= Tolerance, $"fused: {fused}");
        Assert.True(explicitPath <= Tolerance, $"explicit: {explicitPath}");
        Assert.True(pattern <= Tolerance, $"pattern: {pattern}");

        // Memory: the buffer holds 2W columns, or the prefill's when it was longer, never the capacity.
        for (var l = 0; l < windows.Length; l++)
            if (windows[l] is { } w)
            {
                var cache = windowed.Layer<WindowCache>(l);
                Assert.Equal(Math.Max(2L * w, Prompt), cache.Slots);
                Assert.True(cache.Base > 0, $"layer {l}: nothing was ever dropped");
            }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void DeviationsAreReCombinedAlike(string config)
    {
        using var model = Configs[config]();
        var tokens = Tokens(model.Spec, batch: 1).expand(4, Capacity).contiguous(); // [1 + k, capacity], k = 3
        // [k, k]: a rotation of rows 1 and 2 and a contraction, so the deviations stay the size they were
        var mix = tensor(new float[] { 0.54f, -0.72f, 0f, 0.72f, 0.54f, 0f, 0f, 0f, 0.9f }, [3, 3]);
        using var windowed = model.NewState(4, Capacity);
        using var full = model.NewState(4, Capacity, leftPad: null, keepAll: true);
        // Rows 1…3 get deviations from row 0 at the prefill (a perturbed embedding would do the same), then every 7 passes
        // their deviations are mixed, as the QR re-orthonormalisation does.
        var perturbed = tokens.clone();
        perturbed[1, 3] = (perturbed[1, 3] + 1).remainder(model.Spec.VocabSize);
        perturbed[2, 5] = (perturbed[2, 5] + 1).remainder(model.Spec.VocabSize);
        perturbed[3, 7] = (perturbed[3, 7] + 1).remainder(model.Spec.VocabSize);
        void Mixing(ModelState state, int pass)
        {
            var length = pass == 0 ? Prompt : Prompt + Math.Min(pass, Steps) + (pass > Steps ? Chunk : 0);
            if (pass % 7 == 0)
                state.MixDeviations(mix, 0, length);
        }
        var a = Run(model, windowed, perturbed, p => Mixing(windowed, p));
        var b = Run(model, full, perturbed, p => Mixing(full, p));
        var worst = MaxDifference(a, b);
        output.WriteLine($"{config}: largest |Δ| logits with re-combined deviations {worst:E2}");
        Assert.True(worst <= 1e-4, $"{worst}");
    }

    [Fact]
    public void APassThatNeedsADroppedColumnIsRefused()
    {
        using var model = TinyQwen3s.Create("mistral-window-3");
        using var state = model.NewState(1, Capacity);
        var tokens = Tokens(model.Spec, batch: 1);
        Run(model, state, tokens);
        using var noGrad = no_grad();
        var error = Assert.Throws<InvalidOperationException>(() => model.Forward(tokens.narrow(1, 0, 2), state, 0, false));
        Assert.Contains("was dropped", error.Message);
    }
}

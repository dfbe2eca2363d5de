// A sliding-window layer decodes through the C# decoding-attention kernel, which attends from the window's first column
// on (Models/Attention.cs, DecodeKernel), whether its keys sit in a full cache (a run no longer than twice its window) or
// in a WindowCache that moves them to its front as the run goes on.
// Greedy decoding far past the window must give libtorch's masked general path's tokens, and logits within 1e-5 of their
// largest magnitude at every step, for the families whose windows are plain (mistral's on every layer, phi3's, gemma3's
// on five layers of six with their own rotary base, gemma2's on every other layer with soft-capped scores); and the kernel
// must be seen to run. A 70-token prefill past the window must give the masked path's logits at every position through
// the prefill kernel. (At this initialisation gemma2's scores sit far below its cap of 50, where c·tanh(s/c) ≈ s: the
// cap itself is checked by DecodeAttentionTests and by KernelParityTests' gemma2 checkpoint, which each failed when the
// kernel skipped it.) Attending every key instead
// (a planted first slot of 0) made it fail, as did gemma3's global rotary table for its local layers.
using TrajectoryLab.Torch.Kernels;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed class WindowedDecodeKernelTests
{
    private const int Window = 6;
    private const int Prompt = 3;

    [Theory]
    [InlineData("mistral", 2)]
    [InlineData("phi3", 2)]
    [InlineData("gemma3_text", 2)]
    [InlineData("gemma2", 2)] // every other layer windowed, and soft caps on the scores and the logits
    [InlineData("mistral", 5)]
    [InlineData("gemma2", 5)]
    public void DecodesPastTheWindowAsTheMaskedPathDoes(string modelType, int windows)
    {
        // A run of 2W columns keeps its keys in a full cache; a longer one in a WindowCache, which moves the columns it
        // still needs to its front every W or so steps.
        var steps = windows * Window - Prompt;
        var spec = ModelSpec.Shaped(modelType, new ModelSizes(64, 32, 2, 2, 64, 32, Window: Window));
        using var model = CausalLm.Create(spec);
        model.InitializeRandom(7);
        model.eval();
        long before = DecodeAttention.Calls;
        var (tokens, logits) = Decode(model, steps);
        if (WeightProduct.KernelAllowed)
            Assert.True(DecodeAttention.Calls > before, $"{modelType}, {steps} steps: the decoding attention did not run in the kernel");
        (long[] Tokens, List<float[]> Logits) reference;
        using (WeightProduct.LibTorchOnly())
            reference = Decode(model, steps);
        Assert.Equal(reference.Tokens, tokens);
        for (int step = 0; step < logits.Count; step++)
        {
            var scale = reference.Logits[step].Max(Math.Abs);
            var worst = reference.Logits[step].Zip(logits[step], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 1e-5 * scale, $"{modelType}, {steps} steps, step {step}: max |Δ| {worst} against max |logit| {scale}");
        }
    }

    [Theory]
    [InlineData("mistral")]
    [InlineData("phi3")]
    [InlineData("gemma3_text")]
    public void PrefillsPastTheWindowAsTheMaskedPathDoes(string modelType)
    {
        // 70 positions with a window of 6: most rows' windows start several 32-key score blocks in.
        var spec = ModelSpec.Shaped(modelType, new ModelSizes(64, 32, 2, 2, 64, 128, Window: Window));
        using var model = CausalLm.Create(spec);
        model.InitializeRandom(3);
        model.eval();
        using var noGrad = no_grad();
        using var scope = NewDisposeScope();
        var prompt = randint(64, [1, 70], generator: new TorchSharp.torch.Generator(5)); // [1, 70]
        long before = PrefillAttention.Calls;
        var logits = model.Forward(prompt, null, 0, lastPositionOnly: false).data<float>().ToArray(); // [1, 70, vocab]
        if (WeightProduct.KernelAllowed)
            Assert.True(PrefillAttention.Calls > before, $"{modelType}: the prefill attention did not run in the kernel");
        float[] reference;
        using (WeightProduct.LibTorchOnly())
            reference = model.Forward(prompt, null, 0, lastPositionOnly: false).data<float>().ToArray();
        var scale = reference.Max(Math.Abs);
        var worst = reference.Zip(logits, (a, b) => Math.Abs(a - b)).Max();
        Assert.True(worst <= 1e-5 * scale, $"{modelType}: max |Δ| {worst} against max |logit| {scale}");
    }

    /// <summary>Greedy decoding of <paramref name="steps"/> tokens after a fixed prompt, one step at a time.</summary>
    private static (long[] Tokens, List<float[]> Logits) Decode(CausalLm model, int steps)
    {
        using var noGrad = no_grad();
        using var state = model.NewState(1, Prompt + steps);
        var tokens = new List<long> { 5, 17, 42 };
        var logits = new List<float[]>();
        for (int t = 0; t < steps; t++)
        {
            using var scope = NewDisposeScope();
            var start = t == 0 ? 0 : Prompt + t - 1;
            var input = t == 0 ? tensor(tokens.ToArray(), [1, Prompt]) : tensor(new[] { tokens[^1] }, [1, 1]); // [1, pos]
            var last = model.Forward(input, state, start, lastPositionOnly: true)[0, -1]; // [vocab]
            logits.Add(last.data<float>().ToArray());
            tokens.Add(last.argmax().item<long>());
        }
        return ([.. tokens.Skip(Prompt)], logits);
    }
}

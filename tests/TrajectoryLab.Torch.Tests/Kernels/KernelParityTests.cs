// The model with its CPU kernels (products, prefill and decoding attention, deviation mix) against the same model with every
// operation in libtorch (WeightProduct.LibTorchOnly), on the committed golden checkpoint of every architecture: greedy
// decoding of 16 tokens gives the same tokens, and the logits of the prefill and of every step agree within 1e-5 of their
// largest magnitude.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Kernels;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Sampling;
using TrajectoryLab.Torch.Tests.Golden;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed class KernelParityTests
{
    private static readonly int[] Prompt = [1, 7, 19, 3, 30]; // within every golden vocabulary (Mamba's has 37 ids)

    [Theory]
    [InlineData("tiny-llama")]
    [InlineData("mistral")]
    [InlineData("qwen3")]
    [InlineData("olmo2")]
    [InlineData("gemma")]
    [InlineData("gemma2")]
    [InlineData("gemma3_text")]
    [InlineData("gpt2")]
    [InlineData("gpt-neox")]
    [InlineData("phi3")]
    [InlineData("mamba")]
    public void KernelsAndLibTorchDecodeAlike(string name)
    {
        long products = SimdGemm.Calls,
            attentions = DecodeAttention.Calls,
            prefills = PrefillAttention.Calls;
        var (kernelTokens, kernelLogits) = Decode(name);
        if (SimdGemm.Supported)
        {
            Assert.True(SimdGemm.Calls > products, "the products did not run in the kernel");
            // Decoding steps of every attention family: qwen3's per-head and olmo2's whole-projection q/k norms are applied
            // before the kernel, gemma2's soft cap inside it, and the windowed checkpoints' windows (under half of this run)
            // are read from their WindowCache (WindowedDecodeKernelTests covers windows in both kinds of cache).
            if (name is not "mamba")
                Assert.True(DecodeAttention.Calls > attentions, "the decoding attention did not run in the kernel");
            // Their 5-token prefill too (the others' windows are shorter than the prompt, or gemma2 caps its scores:
            // libtorch computes those)
            if (name is "tiny-llama" or "gpt2" or "gpt-neox" or "gemma" or "qwen3" or "olmo2")
                Assert.True(PrefillAttention.Calls > prefills, "the prefill attention did not run in the kernel");
        }
        (int[] Tokens, List<float[]> Logits) libTorch;
        using (WeightProduct.LibTorchOnly())
            libTorch = Decode(name);
        Assert.Equal(libTorch.Tokens, kernelTokens);
        for (int step = 0; step < kernelLogits.Count; step++)
        {
            var reference = libTorch.Logits[step];
            var scale = reference.Max(Math.Abs);
            var worst = reference.Zip(kernelLogits[step], (a, b) => Math.Abs(a - b)).Max();
            Assert.True(worst <= 1e-5 * scale, $"{name}, step {step}: max |Δ| {worst} against max |logit| {scale}");
        }
    }

    private static (int[] Tokens, List<float[]> Logits) Decode(string name)
    {
        using var lm = LanguageModel.Load(GoldenCheckpoint.Folder(name));
        using var session = lm.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = 16,
                Sampler = SamplerOptions.Greedy,
                Outputs = StepOutputs.Logits,
            }
        );
        var logits = new List<float[]> { session.Prefill([Prompt]).Logits![0] };
        for (var t = 1; t < 16; t++)
            logits.Add(session.Step().Logits![0]);
        return (session.Tokens(0)[Prompt.Length..], logits);
    }
}

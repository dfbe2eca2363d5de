// One prefill of a whole text through the public generation API, with the head run at every position (PromptLogits) and
// the activations the profile experiments read captured as float rows: next-token logits, attention patterns per layer
// and the top residual stream. No science here; the references are those of the experiments that use it:
// Liu et al. (2024), "Lost in the Middle", TACL 12; Zhai et al. (2023), ICML (attention entropy collapse).
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>What one prefill of a text returned.</summary>
/// <param name="Positions">Number of positions n read (the text's tokens, BOS included).</param>
/// <param name="Logits">Next-token logits, [n, d_vocab] row-major: row t predicts token t + 1.</param>
/// <param name="Patterns">Per layer, the attention pattern [n_heads, n, n] row-major (query, key), or empty when not captured.</param>
/// <param name="TopResidual">The residual stream after the last block, [n, d_model] row-major, or empty when not captured.</param>
public sealed record PrefillCapture(int Positions, float[] Logits, IReadOnlyList<float[]> Patterns, float[] TopResidual);

/// <summary>Runs one prefill and copies out what was asked for.</summary>
public static class PrefillPass
{
    /// <summary>Reads <paramref name="tokens"/> in one prefill (batch 1).</summary>
    /// <param name="model">The model.</param>
    /// <param name="tokens">Token ids, BOS first.</param>
    /// <param name="patterns">Capture every layer's attention pattern (switches the blocks to explicit attention).</param>
    /// <param name="residual">Capture the top residual stream.</param>
    public static PrefillCapture Read(LanguageModel model, int[] tokens, bool patterns, bool residual)
    {
        var spec = model.Spec;
        var capture = new List<string> { HookNames.Logits };
        if (patterns)
            capture.AddRange(Enumerable.Range(0, spec.NumLayers).Select(HookNames.AttnPattern));
        if (residual)
            capture.Add(HookNames.ResidPost(spec.NumLayers - 1));
        using var session = model.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = 1,
                PromptLogits = true,
                Capture = capture,
            }
        );
        var step = session.Prefill([tokens]);
        return new PrefillCapture(
            tokens.Length,
            step.Activations[HookNames.Logits].Rows[0], // [n, d_vocab]
            // [n_heads, n, n] each
            patterns ? [.. Enumerable.Range(0, spec.NumLayers).Select(l => step.Activations[HookNames.AttnPattern(l)].Rows[0])] : [],
            residual ? step.Activations[HookNames.ResidPost(spec.NumLayers - 1)].Rows[0] : []
        ); // [n, d_model]
    }
}

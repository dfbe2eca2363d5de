// Arithmetic coding of a token sequence with a model's predictions (Witten, Neal & Cleary 1987; Delétang et al. 2024).
// The protocol both directions follow: token i is coded under the table the model gives after reading the token before
// it, except that every Block tokens (i mod Block = 0) the context restarts: Reset, then read the start token (BOS).
// The decoder reads only tokens it has decoded, one per step, so the encoder does exactly the same: no prefill.
using TrajectoryLab.Core.Coding;

namespace TrajectoryLab.Experiments.CodeLength;

/// <summary>What encoding a token sequence gave.</summary>
/// <param name="Payload">The coded bits, byte-padded.</param>
/// <param name="Bits">Bits before padding.</param>
/// <param name="IdealBits">Σ −log₂(f_i/T) of the coded tokens under the quantised tables.</param>
/// <param name="BoundBits">The proven upper bound on 8 × payload bytes (ArithmeticCoder.UpperBoundBits).</param>
/// <param name="TokenBits">−log₂(f_i/T) of each token.</param>
public sealed record EncodedTokens(byte[] Payload, long Bits, double IdealBits, double BoundBits, double[] TokenBits);

/// <summary>Codes token ids with an <see cref="ICodingModel"/>.</summary>
public static class TextCoder
{
    /// <summary>Encodes <paramref name="tokens"/>.</summary>
    /// <param name="model">The coder's model (its context is reset first).</param>
    /// <param name="tokens">Ids in [0, V).</param>
    /// <param name="start">The token each context starts from.</param>
    /// <param name="cancellation">Checked every token.</param>
    public static EncodedTokens Encode(ICodingModel model, IReadOnlyList<int> tokens, int start, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokens);
        var encoder = new ArithmeticEncoder();
        var f = new int[model.Vocabulary];
        var tokenBits = new double[tokens.Count];
        var steps = new (long, long)[tokens.Count];
        for (var i = 0; i < tokens.Count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            Predict(model, i, i == 0 ? start : tokens[i - 1], start, f);
            var table = new CumulativeFrequencies(f);
            encoder.Encode(table, tokens[i]);
            steps[i] = (table.Frequency(tokens[i]), table.Total);
            tokenBits[i] = -Math.Log2((double)steps[i].Item1 / table.Total);
        }
        var payload = encoder.Finish();
        return new EncodedTokens(
            payload,
            encoder.BitCount,
            ArithmeticCoder.IdealBits(steps),
            ArithmeticCoder.UpperBoundBits(steps),
            tokenBits
        );
    }

    /// <summary>Decodes <paramref name="count"/> tokens from <paramref name="payload"/>.</summary>
    public static int[] Decode(ICodingModel model, byte[] payload, long count, int start, CancellationToken cancellation = default)
    {
        ArgumentNullException.ThrowIfNull(model);
        var decoder = new ArithmeticDecoder(payload);
        var f = new int[model.Vocabulary];
        var tokens = new int[count];
        for (var i = 0; i < count; i++)
        {
            cancellation.ThrowIfCancellationRequested();
            Predict(model, i, i == 0 ? start : tokens[i - 1], start, f);
            tokens[i] = decoder.Decode(new CumulativeFrequencies(f));
        }
        return tokens;
    }

    /// <summary>The table for token <paramref name="i"/>: after a reset and the start token at a block's first token, else
    /// after the previous token.</summary>
    private static void Predict(ICodingModel model, int i, int previous, int start, Span<int> f)
    {
        if (i % model.Block == 0)
        {
            model.Reset();
            model.Next(start, f);
        }
        else
            model.Next(previous, f);
    }
}

// Does a model give the same next-token distributions on another device or in another dtype? Both models read the same
// tokens teacher-forced through the KV-cache decoding path every experiment uses, and at each position the candidate's
// logits are compared with the reference's: the largest absolute difference relative to the largest reference logit, the
// KL divergence KL(p_ref ‖ p_cand) in nats and whether the argmax agrees.
// The tolerance is the dtype's unit roundoff u (IEEE 754-2008; bfloat16: Kalamkar et al. 2019, arXiv:1905.12322) times a
// growth factor for the L + 2 rounded stages of a forward pass (embedding, L blocks, head), as in the a-priori bounds of
// Higham, "Accuracy and Stability of Numerical Algorithms" (2nd ed., SIAM 2002), ch. 3: errors of sums grow like u·√n in
// practice; c·u·√(L + 2) with c = 8 leaves room for the attention softmax and the norms: measured on CPU (2026-11-24),
// bfloat16 and float16 reach about 0.12–0.15 of it on the default model (`trajectorylab run device-agreement`) and about
// 0.55 on the test's random Llama with N(0, 0.1²) weights, whose larger activations round more; another model's weights,
// one weight matrix off by 1 % (against the float32 bound) or by 10 % (float16) leave it (the tests check all three).
namespace TrajectoryLab.Torch.Generation;

/// <summary>The comparison at one position.</summary>
/// <param name="Position">Absolute position of the token read.</param>
/// <param name="MaxAbsError">max_k |z_cand,k − z_ref,k|.</param>
/// <param name="RelativeError">MaxAbsError / max_k |z_ref,k|.</param>
/// <param name="Kl">KL(p_ref ‖ p_cand) in nats, p = softmax(z) computed in double precision.</param>
/// <param name="SameArgmax">Whether both models put their largest logit on the same token.</param>
public sealed record PositionAgreement(int Position, double MaxAbsError, double RelativeError, double Kl, bool SameArgmax);

/// <summary>The comparison over a sequence.</summary>
/// <param name="Positions">One entry per position read.</param>
/// <param name="Tolerance">The relative-error bound of the candidate's dtype (<see cref="LogitAgreement.Tolerance"/>).</param>
public sealed record AgreementResult(IReadOnlyList<PositionAgreement> Positions, double Tolerance)
{
    /// <summary>The largest relative error over the positions.</summary>
    public double MaxRelativeError => Positions.Max(p => p.RelativeError);

    /// <summary>The mean KL divergence in nats.</summary>
    public double MeanKl => Positions.Average(p => p.Kl);

    /// <summary>The fraction of positions whose argmax agrees.</summary>
    public double ArgmaxAgreement => Positions.Count(p => p.SameArgmax) / (double)Positions.Count;

    /// <summary>Whether every position is within <see cref="Tolerance"/> (NaN fails).</summary>
    public bool WithinTolerance => Positions.All(p => p.RelativeError <= Tolerance);
}

/// <summary>Compares two models' logits along the same teacher-forced tokens.</summary>
public static class LogitAgreement
{
    /// <summary>The growth factor c of the tolerance c·u·√(L + 2).</summary>
    public const double GrowthFactor = 8;

    /// <summary>Unit roundoff u = 2^−(p) of a dtype with p fraction bits: float32 2^−24, float16 2^−11, bfloat16 2^−8.</summary>
    /// <exception cref="ArgumentException">Another dtype name.</exception>
    public static double UnitRoundoff(string dtype) =>
        dtype switch
        {
            "float32" => Math.ScaleB(1, -24),
            "float16" => Math.ScaleB(1, -11),
            "bfloat16" => Math.ScaleB(1, -8),
            _ => throw new ArgumentException($"dtype '{dtype}' is not one of float32, bfloat16, float16", nameof(dtype)),
        };

    /// <summary>The relative-error bound c·u·√(L + 2) for <paramref name="layers"/> blocks computed in <paramref name="dtype"/>.</summary>
    /// <param name="dtype">The candidate's (the coarser) dtype.</param>
    /// <param name="layers">Transformer blocks L.</param>
    public static double Tolerance(string dtype, int layers) => GrowthFactor * UnitRoundoff(dtype) * Math.Sqrt(layers + 2);

    /// <summary>Reads <paramref name="tokens"/> through both models (one prefill token, then one forced token per step) and
    /// compares the logits at every position.</summary>
    /// <param name="reference">The reference model, usually CPU float32.</param>
    /// <param name="candidate">The model under test: same architecture and weights, another device or dtype.</param>
    /// <param name="tokens">At least one token id.</param>
    /// <exception cref="ArgumentException">Models of different vocabularies or layer counts, or no tokens.</exception>
    public static AgreementResult Compare(LanguageModel reference, LanguageModel candidate, IReadOnlyList<int> tokens)
    {
        ArgumentNullException.ThrowIfNull(reference);
        ArgumentNullException.ThrowIfNull(candidate);
        if (tokens.Count == 0)
            throw new ArgumentException("at least one token is needed", nameof(tokens));
        if (reference.Spec.VocabSize != candidate.Spec.VocabSize || reference.Spec.NumLayers != candidate.Spec.NumLayers)
            throw new ArgumentException(
                "the models differ in vocabulary or layers; compare a model with itself on another device or dtype",
                nameof(candidate)
            );
        var expected = Logits(reference, tokens);
        var actual = Logits(candidate, tokens);
        var positions = expected.Select((z, t) => At(t, z, actual[t])).ToList();
        return new AgreementResult(positions, Tolerance(candidate.DType, candidate.Spec.NumLayers));
    }

    /// <summary>The comparison of one position's logit rows.</summary>
    /// <param name="position">The position.</param>
    /// <param name="reference">[d_vocab] reference logits.</param>
    /// <param name="candidate">[d_vocab] candidate logits.</param>
    public static PositionAgreement At(int position, float[] reference, float[] candidate)
    {
        if (reference.Length != candidate.Length)
            throw new ArgumentException($"{reference.Length} against {candidate.Length} logits", nameof(candidate));
        double maxAbs = 0,
            scale = 0;
        for (var k = 0; k < reference.Length; k++)
        {
            var d = Math.Abs((double)candidate[k] - reference[k]);
            maxAbs = double.IsNaN(d) || d > maxAbs ? d : maxAbs;
            scale = Math.Max(scale, Math.Abs(reference[k]));
            if (double.IsNaN(maxAbs))
                break;
        }

        var (logP, logQ) = (LogSoftmax(reference), LogSoftmax(candidate));
        var kl = 0.0;
        for (var k = 0; k < logP.Length; k++)
            kl += Math.Exp(logP[k]) * (logP[k] - logQ[k]);
        return new PositionAgreement(
            position,
            maxAbs,
            scale > 0 ? maxAbs / scale : maxAbs,
            Math.Max(0, kl),
            ArgMax(reference) == ArgMax(candidate)
        );
    }

    /// <returns>[tokens][d_vocab]: the logits after reading each token.</returns>
    private static float[][] Logits(LanguageModel model, IReadOnlyList<int> tokens)
    {
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = tokens.Count, Outputs = StepOutputs.Logits });
        var rows = new float[tokens.Count][];
        var force = tokens.Count > 1 ? new[] { tokens[1] } : [0];
        rows[0] = session
            .Prefill(
                [
                    [tokens[0]],
                ],
                force
            )
            .Logits![0];
        for (var t = 1; t < tokens.Count; t++)
            rows[t] = session.Step(t + 1 < tokens.Count ? [tokens[t + 1]] : [0]).Logits![0];
        return rows;
    }

    private static double[] LogSoftmax(float[] z)
    {
        var max = z.Max(v => (double)v);
        var log = Math.Log(z.Sum(v => Math.Exp(v - max))) + max;
        return [.. z.Select(v => v - log)];
    }

    private static int ArgMax(float[] z)
    {
        var best = 0;
        for (var k = 1; k < z.Length; k++)
            if (z[k] > z[best])
                best = k;
        return best;
    }
}

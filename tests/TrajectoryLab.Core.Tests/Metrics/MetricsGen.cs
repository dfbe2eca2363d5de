// FsCheck generators for the metrics properties: logits, temperatures, masks, matrices, token sequences.
// Sizes are small on purpose: the whole Core test project must run in seconds.

using FsCheck;
using FsCheck.Fluent;
using MathNet.Numerics.LinearAlgebra;

namespace TrajectoryLab.Core.Tests.Metrics;

/// <summary>A logit vector with a vocabulary mask (at least one allowed token) and a temperature.</summary>
public sealed record MaskedLogits(double[] Logits, bool[] Allowed, double Temperature)
{
    public int AllowedCount => Allowed.Count(a => a);

    public override string ToString() =>
        $"T={Temperature.ToString("R", System.Globalization.CultureInfo.InvariantCulture)} z=[{string.Join(", ", Logits.Select(z => z.ToString("R", System.Globalization.CultureInfo.InvariantCulture)))}] mask=[{string.Join("", Allowed.Select(a => a ? '1' : '0'))}]";
}

public static class MetricsGen
{
    /// <summary>Logit in [−scale, scale] with scale ∈ {1, 10, 1e4} (1e4 checks log-sum-exp).</summary>
    private static Gen<double[]> LogitVector(int vocab) =>
        from scale in Gen.Elements(1.0, 10.0, 1e4)
        from units in Gen.Choose(-1000, 1000).ArrayOf(vocab)
        select units.Select(u => u * scale / 1000).ToArray();

    /// <summary>T = e^x, x uniform on [−2, 2.5] (T ∈ [0.14, 12]).</summary>
    public static Gen<double> Temperature { get; } = Gen.Choose(-200, 250).Select(x => Math.Exp(x / 100.0));

    /// <summary>Unmasked logits, |V| ∈ [1, 40], with a temperature.</summary>
    public static Gen<MaskedLogits> Logits { get; } =
        from vocab in Gen.Choose(1, 40)
        from z in LogitVector(vocab)
        from t in Temperature
        select new MaskedLogits(z, Enumerable.Repeat(true, vocab).ToArray(), t);

    /// <summary>Logits with a random mask keeping at least one token.</summary>
    public static Gen<MaskedLogits> Masked { get; } =
        from l in Logits
        from keep in Gen.Choose(0, l.Logits.Length - 1)
        from mask in Gen.Elements(true, false).ArrayOf(l.Logits.Length)
        select l with { Allowed = mask.Select((a, k) => a || k == keep).ToArray() };

    /// <summary>Moderate logits (|z| ≤ 10, |V| ∈ [2, 30]) for finite-difference checks.</summary>
    public static Gen<MaskedLogits> Smooth { get; } =
        from vocab in Gen.Choose(2, 30)
        from units in Gen.Choose(-1000, 1000).ArrayOf(vocab)
        from t in Temperature
        select new MaskedLogits(units.Select(u => u / 100.0).ToArray(), Enumerable.Repeat(true, vocab).ToArray(), t);

    /// <summary>A random n × d matrix with entries in [−1, 1], n, d ∈ [1, 6].</summary>
    public static Gen<Matrix<double>> Matrix { get; } =
        from n in Gen.Choose(1, 6)
        from d in Gen.Choose(1, 6)
        from entries in Gen.Choose(-1000, 1000).ArrayOf(n * d)
        select Matrix<double>.Build.Dense(n, d, entries.Select(e => e / 1000.0).ToArray());

    /// <summary>A random orthogonal d × d matrix (Q of a QR factorisation of a random matrix).</summary>
    public static Gen<Matrix<double>> Orthogonal(int d) =>
        Gen.Choose(-1000, 1000).ArrayOf(d * d)
            .Select(e => Matrix<double>.Build.Dense(d, d, e.Select(v => v / 1000.0 + (v == 0 ? 1e-3 : 0)).ToArray()).QR().Q);

    /// <summary>A token sequence over an alphabet of the given size, length ∈ [0, maxLength].</summary>
    public static Gen<int[]> Tokens(int alphabet, int maxLength) =>
        from length in Gen.Choose(0, maxLength)
        from tokens in Gen.Choose(0, alphabet - 1).ArrayOf(length)
        select tokens;
}

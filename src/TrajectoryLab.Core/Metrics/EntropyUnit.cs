// Units of information: nats (natural log) or bits (log base 2).

namespace TrajectoryLab.Core.Metrics;

/// <summary>The unit an entropy-like quantity is reported in.</summary>
public enum EntropyUnit
{
    /// <summary>Natural logarithm.</summary>
    Nats,

    /// <summary>Base-2 logarithm: value_bits = value_nats / ln 2.</summary>
    Bits,
}

/// <summary>Conversion of entropy-like quantities between units.</summary>
public static class EntropyUnits
{
    /// <summary>Converts an information quantity (entropy, surprisal, KL, cross-entropy) from nats.</summary>
    /// <remarks>x_bits = x_nats / ln 2. Squared quantities (varentropy) use <see cref="FromNatsSquared"/>.</remarks>
    public static double FromNats(double nats, EntropyUnit unit) => unit == EntropyUnit.Bits ? nats / Math.Log(2) : nats;

    /// <summary>Converts a squared information quantity (varentropy, nats²) to the unit squared.</summary>
    /// <remarks>v_bits² = v_nats² / (ln 2)².</remarks>
    public static double FromNatsSquared(double natsSquared, EntropyUnit unit) =>
        unit == EntropyUnit.Bits ? natsSquared / (Math.Log(2) * Math.Log(2)) : natsSquared;
}

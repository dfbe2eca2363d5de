// The measurement pieces of ffn-memory, each testable on hand-made inputs: the running top-N of a unit's activations,
// a text's code length in bits from its next-token logits, the agreement rates of Geva et al. (a value's top token
// against the next token of its key's top prefix; the top-k and all-prefixes variants), the same rates with values
// paired with a permutation of the keys (the shuffled-unit baseline), and a value read through the model's own head.
// Reference: Geva, Schuster, Berant & Levy (2021), "Transformer Feed-Forward Layers Are Key-Value Memories", EMNLP,
// section 4 (values as distributions over the vocabulary; the agreement rate).
using System.Runtime.CompilerServices;
using TrajectoryLab.Core.Randomness;
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.FfnMemory;

/// <summary>The N largest activations of each of a layer's units, with where they occurred.</summary>
/// <param name="units">Units of the layer.</param>
/// <param name="n">Entries kept per unit.</param>
public sealed class TopActivations(int units, int n)
{
    private readonly double[][] _value = [.. Enumerable.Range(0, units).Select(_ => new double[n])];
    private readonly (int Text, int Position, int Next)[][] _where = [.. Enumerable.Range(0, units).Select(_ => new (int, int, int)[n])];
    private readonly int[] _count = new int[units];
    private readonly double[] _floor = [.. Enumerable.Repeat(double.NegativeInfinity, units)]; // the smallest kept once full

    /// <summary>Offers every unit's activation at every prefix of text <paramref name="text"/>: positions 1 … n − 2 (a
    /// prefix has a real token after BOS and a next token).</summary>
    /// <param name="post">[n, units] row-major activations of the text's positions.</param>
    /// <param name="text">The text's index.</param>
    /// <param name="tokens">The text's n tokens.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public void OfferText(float[] post, int text, int[] tokens)
    {
        var units = _count.Length;
        for (var t = 1; t + 1 < tokens.Length; t++)
        for (var u = 0; u < units; u++)
        {
            var value = post[t * units + u];
            if (value > _floor[u] || _count[u] < _value[u].Length || !float.IsFinite(value))
                Offer(u, value, text, t, tokens[t + 1]);
        }
    }

    /// <summary>Offers <paramref name="value"/> of <paramref name="unit"/> at a prefix; kept when among the N largest so far
    /// (the earlier of equal values wins).</summary>
    /// <exception cref="ArgumentException">A non-finite activation.</exception>
    public void Offer(int unit, double value, int text, int position, int next)
    {
        if (!double.IsFinite(value))
            throw new ArgumentException($"unit {unit}: activation {value} at text {text}, position {position} is not finite");
        var count = _count[unit];
        var values = _value[unit];
        if (count < values.Length)
        {
            values[count] = value;
            _where[unit][count] = (text, position, next);
            _count[unit] = count + 1;
            if (count + 1 == values.Length)
                _floor[unit] = values.Min();
            return;
        }
        if (value <= _floor[unit])
            return;
        var smallest = Array.IndexOf(values, _floor[unit]);
        values[smallest] = value;
        _where[unit][smallest] = (text, position, next);
        _floor[unit] = values.Min();
    }

    /// <summary>The kept entries of <paramref name="unit"/>, largest first (ties in the order offered).</summary>
    public (double Value, int Text, int Position, int Next)[] Of(int unit) =>
        [
            .. Enumerable
                .Range(0, _count[unit])
                .Select(i => (_value[unit][i], _where[unit][i].Text, _where[unit][i].Position, _where[unit][i].Next))
                .OrderByDescending(e => e.Item1)
                .ThenBy(e => e.Text)
                .ThenBy(e => e.Position),
        ];
}

/// <summary>Agreement rates of one layer against the shuffled-unit baseline.</summary>
/// <param name="Top1">Geva et al.'s agreement rate: the fraction of units whose value's top token is the next token of
/// their key's top-1 prefix.</param>
/// <param name="TopK">The fraction of units whose value's k top tokens hold that next token.</param>
/// <param name="Prefixes">The mean over units of the fraction of their top-N prefixes whose next token is the value's top
/// token.</param>
public readonly record struct AgreementRates(double Top1, double TopK, double Prefixes);

/// <summary>A rate under random pairings: mean, 2.5 % and 97.5 % quantiles over the permutations, and the one-sided
/// permutation p-value of the real rate, (1 + #{shuffled ≥ real}) / (1 + permutations).</summary>
public readonly record struct ShuffledRate(double Mean, double Lower, double Upper, double PValue);

/// <summary>The measures of ffn-memory.</summary>
public static class FfnMemoryMeasures
{
    /// <summary>Σ −log₂ softmax(logits_t)[tokens[t + 1]] over t = 0 … n − 2, and n − 1.</summary>
    /// <param name="logits">[n, d_vocab] row-major next-token logits: row t predicts token t + 1.</param>
    /// <param name="tokens">The n tokens.</param>
    /// <exception cref="ArgumentException">A non-finite logit or code length.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static (double Bits, int Tokens) CodeLength(float[] logits, int[] tokens)
    {
        var n = tokens.Length;
        var vocab = logits.Length / n;
        var bits = 0.0;
        for (var t = 0; t + 1 < n; t++)
        {
            var row = logits.AsSpan(t * vocab, vocab);
            var max = double.NegativeInfinity;
            foreach (var v in row)
                max = Math.Max(max, v);
            var sum = 0.0;
            foreach (var v in row)
                sum += Math.Exp(v - max);
            var nats = max + Math.Log(sum) - row[tokens[t + 1]];
            if (!double.IsFinite(nats))
                throw new ArgumentException($"position {t}: the code length of the next token is not finite (logits {max}, {sum})");
            bits += nats / Math.Log(2);
        }
        return (bits, n - 1);
    }

    /// <summary>The agreement rates of units whose value's top tokens are <paramref name="valueTop"/>[i] (most likely
    /// first) and whose key's prefixes, largest activation first, are followed by <paramref name="next"/>[i].</summary>
    /// <param name="valueTop">[units][≥ k] value top tokens.</param>
    /// <param name="next">[units][prefixes] next tokens; a unit without prefixes is left out of every rate.</param>
    /// <param name="k">Tokens of the top-k rate.</param>
    /// <param name="pairing">Pair unit i's key with the value of unit pairing[i] (the shuffled baseline), or null for
    /// its own.</param>
    public static AgreementRates Agreement(IReadOnlyList<int[]> valueTop, IReadOnlyList<int[]> next, int k, int[]? pairing = null)
    {
        int units = 0,
            top1 = 0,
            topK = 0;
        var prefixes = 0.0;
        for (var i = 0; i < next.Count; i++)
        {
            if (next[i].Length == 0)
                continue;
            var value = valueTop[pairing?[i] ?? i];
            units++;
            var trigger = next[i][0];
            if (value[0] == trigger)
                top1++;
            if (Array.IndexOf(value, trigger, 0, Math.Min(k, value.Length)) >= 0)
                topK++;
            prefixes += next[i].Count(t => t == value[0]) / (double)next[i].Length;
        }
        return units == 0
            ? new AgreementRates(double.NaN, double.NaN, double.NaN)
            : new AgreementRates(top1 / (double)units, topK / (double)units, prefixes / units);
    }

    /// <summary>The rates of <paramref name="permutations"/> random pairings of values with keys (uniform permutations of
    /// the units, Fisher–Yates on a SplitMix64 stream seeded with <paramref name="seed"/>), against the real rates.</summary>
    public static (ShuffledRate Top1, ShuffledRate TopK, ShuffledRate Prefixes) Shuffled(
        IReadOnlyList<int[]> valueTop,
        IReadOnlyList<int[]> next,
        int k,
        int permutations,
        ulong seed
    )
    {
        var real = Agreement(valueTop, next, k);
        var random = new SplitMix64(seed);
        var rates = new List<AgreementRates>(permutations);
        var pairing = Enumerable.Range(0, valueTop.Count).ToArray();
        for (var p = 0; p < permutations; p++)
        {
            for (var i = pairing.Length - 1; i > 0; i--)
            {
                var j = random.NextIndex(i + 1);
                (pairing[i], pairing[j]) = (pairing[j], pairing[i]);
            }
            rates.Add(Agreement(valueTop, next, k, pairing));
        }
        ShuffledRate Of(Func<AgreementRates, double> rate)
        {
            var sorted = Sample.Sorted(rates.Select(rate));
            var above = sorted.Count(v => v >= rate(real));
            return new ShuffledRate(
                sorted.Average(),
                Sample.QuantileOfSorted(sorted, 0.025),
                Sample.QuantileOfSorted(sorted, 0.975),
                (1.0 + above) / (1.0 + permutations)
            );
        }
        return (Of(r => r.Top1), Of(r => r.TopK), Of(r => r.Prefixes));
    }

    /// <summary>Each vector read by <paramref name="model"/>'s head: its final norm's weight (and bias, if any) then the
    /// unembedding, with no normalisation, i.e. the logits the model would give if ln_final's normalised input were the
    /// vector (an every-row Replace of <c>ln_final.hook_normalized</c> in a one-token prefill). Returns each vector's
    /// <paramref name="k"/> largest logits and their token ids, largest first.</summary>
    /// <param name="model">The model.</param>
    /// <param name="vectors">[count][d_model] the vectors.</param>
    /// <param name="k">Top tokens kept per vector.</param>
    /// <param name="batch">Vectors per prefill.</param>
    public static (int[] Ids, double[] Logits)[] HeadTop(LanguageModel model, IReadOnlyList<float[]> vectors, int k, int batch = 256)
    {
        var result = new List<(int[], double[])>(vectors.Count);
        for (var start = 0; start < vectors.Count; start += batch)
        {
            var chunk = vectors.Skip(start).Take(batch).ToArray();
            using var session = model.StartSession(
                new GenerationOptions
                {
                    MaxNewTokens = 1,
                    Outputs = StepOutputs.Logits,
                    Interventions = [Intervention.Replace(HookNames.FinalNormalized, chunk)],
                }
            );
            var step = session.Prefill([.. chunk.Select(_ => new[] { 0 })]);
            foreach (var logits in step.Logits!)
            {
                var ids = TopIndices(logits, k);
                result.Add((ids, [.. ids.Select(i => (double)logits[i])]));
            }
        }
        return [.. result];
    }

    /// <summary>The indices of the <paramref name="k"/> largest values, largest first (the smaller index first on ties).</summary>
    /// <exception cref="ArgumentException">A non-finite value.</exception>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    public static int[] TopIndices(float[] values, int k)
    {
        if (values.Any(v => !float.IsFinite(v)))
            throw new ArgumentException("a value's logits through the head are not finite");
        return Ranking.TopIndices(values, k);
    }
}

// A plain double-precision transcription of the documented sampler order (penalty, temperature, top-k, top-p, min-p,
// renormalise), one row at a time, for checking TokenSampler against.
using TrajectoryLab.Torch.Sampling;

namespace TrajectoryLab.Torch.Tests.Generation;

internal static class SamplerReference
{
    /// <summary>The distribution a sampling row draws from, [d_vocab].</summary>
    public static double[] Distribution(double[] logits, SamplerOptions o, IReadOnlySet<int> context)
    {
        var v = logits.Length;
        var z = logits.Select((x, k) => o.RepetitionPenalty != 1 && context.Contains(k)
            ? (x > 0 ? x / o.RepetitionPenalty : x * o.RepetitionPenalty)
            : x).ToArray();
        var t = o.IsGreedy ? 1 : o.Temperature;
        var max = z.Max(x => x / t);
        var p = z.Select(x => Math.Exp(x / t - max)).ToArray();
        var sum = p.Sum();
        for (var k = 0; k < v; k++) p[k] /= sum;

        var order = Enumerable.Range(0, v).OrderByDescending(k => p[k]).ThenBy(k => k).ToArray();
        var topK = o.TopK == 0 ? v : o.TopK;
        var keptMass = order.Take(topK).Sum(k => p[k]);
        var keep = new bool[v];
        var before = 0.0;
        for (var i = 0; i < v; i++)
        {
            var k = order[i];
            keep[k] = i < topK && (o.TopP >= 1 || before < o.TopP * keptMass) && p[k] >= o.MinP * p[order[0]];
            before += p[k];
        }
        var kept = keep.Select((kk, k) => kk ? p[k] : 0).ToArray();
        var total = kept.Sum();
        return [.. kept.Select(x => x / total)];
    }

    /// <summary>Index of the largest value (lowest index among ties).</summary>
    public static int ArgMax(ReadOnlySpan<double> values)
    {
        var best = 0;
        for (var k = 1; k < values.Length; k++) if (values[k] > values[best]) best = k;
        return best;
    }
}

// The attention-mass measure of attention-sinks, over captured patterns: for every layer × head, the weight its queries
// q ≥ S put on position 0 and on positions 0 … S − 1, and per layer the weight on position 0 by query position (mean over
// heads), with what uniform causal attention would put on position 0 (1/(q + 1)) as the baseline. A pattern is
// [heads, n, n] row-major, (query, key), as hook_pattern gives it.
// Reference: Xiao et al. (2024), "Efficient Streaming Language Models with Attention Sinks", ICLR, arXiv:2309.17453, §3.1.
namespace TrajectoryLab.Experiments.AttentionSinks;

/// <summary>Running sums of one model's attention mass on the first positions, text by text.</summary>
/// <param name="label">The model's label in the result.</param>
/// <param name="layers">Layers.</param>
/// <param name="heads">Query heads.</param>
/// <param name="context">The longest text read (positions beyond are not kept).</param>
/// <param name="start">S: the first positions counted as the start.</param>
public sealed class SinkMassAccumulator(string label, int layers, int heads, int context, int start)
{
    private readonly double[] _first = new double[layers * heads];
    private readonly double[] _start = new double[layers * heads];
    private readonly double[][] _byPosition = [.. Enumerable.Range(0, layers).Select(_ => new double[context])];
    private readonly int[] _reach = new int[context]; // texts that reach each query position
    private long _queries;
    private double _uniform;

    /// <summary>Adds one text's patterns.</summary>
    /// <param name="patterns">Per layer, [heads, n, n] row-major (query, key), n ≤ context.</param>
    /// <exception cref="InvalidOperationException">A non-finite weight, named by layer, head and query.</exception>
    public void Add(IReadOnlyList<float[]> patterns)
    {
        var n = (int)Math.Round(Math.Sqrt(patterns[0].Length / (double)heads));
        for (var l = 0; l < layers; l++)
        {
            var pattern = patterns[l]; // [heads, n, n]
            for (var h = 0; h < heads; h++)
            for (var q = 0; q < n; q++)
            {
                var row = pattern.AsSpan((h * n + q) * n, n); // query q's weights over keys 0 … n − 1
                double sum = 0;
                for (var j = 0; j < Math.Min(start, n); j++)
                    sum += row[j];
                if (!double.IsFinite(sum))
                    throw new InvalidOperationException(
                        $"{label}: non-finite attention weight at layer {l}, head {h}, query {q} (blocks.{l}.attn.hook_pattern)"
                    );
                _byPosition[l][q] += row[0] / (double)heads;
                if (q < start)
                    continue;
                _first[l * heads + h] += row[0];
                _start[l * heads + h] += sum;
            }
        }
        for (var q = 0; q < n; q++)
            _reach[q]++;
        for (var q = start; q < n; q++)
            _uniform += 1.0 / (q + 1);
        _queries += Math.Max(0, n - start);
    }

    /// <summary>The means over the texts added.</summary>
    public SinkMass Result()
    {
        var reached = _reach.Count(r => r > 0);
        return new SinkMass(
            label,
            layers,
            heads,
            start,
            [.. _first.Select(v => v / _queries)],
            [.. _start.Select(v => v / _queries)],
            [.. _byPosition.Select(p => p.Take(reached).Select((v, q) => v / _reach[q]).ToArray())],
            _uniform / _queries
        );
    }
}

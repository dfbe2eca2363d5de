// Token streams for training: each split's documents encoded and concatenated with the end-of-text id between them
// (GPT-2's packing, Radford et al. 2019), and fixed-length windows drawn from a stream.
using TrajectoryLab.Core.Randomness;

namespace TrajectoryLab.Torch.Training;

/// <summary>The tokenised training and validation streams.</summary>
/// <param name="Tokenizer">The tokenizer that produced them.</param>
/// <param name="Train">Training ids: doc₁ EOT doc₂ EOT …</param>
/// <param name="Validation">Validation ids, packed the same way.</param>
public sealed record TrainingData(TrainingTokenizer Tokenizer, int[] Train, int[] Validation)
{
    /// <summary>Encodes and packs both splits' document texts.</summary>
    public static TrainingData Encode(TrainingTokenizer tokenizer, IEnumerable<string> train, IEnumerable<string> validation)
    {
        ArgumentNullException.ThrowIfNull(tokenizer);
        return new TrainingData(tokenizer, Pack(tokenizer, train), Pack(tokenizer, validation));
    }

    private static int[] Pack(TrainingTokenizer tokenizer, IEnumerable<string> texts)
    {
        var ids = new List<int>();
        foreach (var text in texts)
        {
            ids.AddRange(tokenizer.Tokenizer.Encode(text));
            ids.Add(tokenizer.EndOfText);
        }

        return [.. ids];
    }
}

/// <summary>Windows of <c>length + 1</c> consecutive ids: inputs are the first <c>length</c>, targets the last.</summary>
public static class Windows
{
    /// <summary>Inputs and targets [batch · length] of <paramref name="batch"/> windows at random starts drawn from <paramref
    /// name="random"/>.</summary>
    /// <param name="stream">The token stream.</param>
    /// <param name="batch">Windows.</param>
    /// <param name="length">Positions per window.</param>
    /// <param name="random">The start sampler.</param>
    /// <param name="first">A token every window's position 0 holds (see <see cref="At"/>), or null.</param>
    /// <exception cref="ArgumentException">The stream is shorter than one window.</exception>
    public static (long[] Inputs, long[] Targets) Sample(int[] stream, int batch, int length, SplitMix64 random, int? first = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(random);
        var starts = Enumerable.Range(0, batch).Select(_ => random.NextInt(Positions(stream, length))).ToArray();
        return At(stream, starts, length, first);
    }

    /// <summary>Inputs and targets [starts.Length · length] of the windows beginning at <paramref name="starts"/>. With
    /// <paramref name="first"/>, position 0 of every window holds that token and the stream moves one position right (inputs
    /// first, s … s + length − 2; targets s … s + length − 1), as a sequence that always begins with BOS: the condition
    /// under which Xiao et al. (2024, arXiv:2309.17453, §3.3) see a dedicated attention sink form.</summary>
    /// <param name="stream">The token stream.</param>
    /// <param name="starts">Window starts.</param>
    /// <param name="length">Positions per window.</param>
    /// <param name="first">The token at position 0 of every window, or null for the stream's own.</param>
    public static (long[] Inputs, long[] Targets) At(int[] stream, IReadOnlyList<int> starts, int length, int? first = null)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(starts);
        var inputs = new long[starts.Count * length]; // [batch, length]
        var targets = new long[starts.Count * length]; // [batch, length]
        var shift = first is null ? 0 : 1;
        for (var b = 0; b < starts.Count; b++)
        for (var t = 0; t < length; t++)
        {
            inputs[b * length + t] = t < shift ? first!.Value : stream[starts[b] + t - shift];
            targets[b * length + t] = stream[starts[b] + t + 1 - shift];
        }

        return (inputs, targets);
    }

    /// <summary>Number of valid window starts in <paramref name="stream"/>.</summary>
    /// <exception cref="ArgumentException">The stream holds fewer than length + 1 ids.</exception>
    public static int Positions(int[] stream, int length)
    {
        ArgumentNullException.ThrowIfNull(stream);
        var n = stream.Length - length;
        if (n < 1)
            throw new ArgumentException(
                $"a stream of {stream.Length} tokens is too short for windows of {length} + 1 tokens",
                nameof(stream)
            );
        return n;
    }
}

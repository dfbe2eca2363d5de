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
    /// <exception cref="ArgumentException">The stream is shorter than one window.</exception>
    public static (long[] Inputs, long[] Targets) Sample(int[] stream, int batch, int length, SplitMix64 random)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(random);
        var starts = Enumerable.Range(0, batch).Select(_ => random.NextInt(Positions(stream, length))).ToArray();
        return At(stream, starts, length);
    }

    /// <summary>Inputs and targets [starts.Length · length] of the windows beginning at <paramref name="starts"/>.</summary>
    public static (long[] Inputs, long[] Targets) At(int[] stream, IReadOnlyList<int> starts, int length)
    {
        ArgumentNullException.ThrowIfNull(stream);
        ArgumentNullException.ThrowIfNull(starts);
        var inputs = new long[starts.Count * length]; // [batch, length]
        var targets = new long[starts.Count * length]; // [batch, length]
        for (var b = 0; b < starts.Count; b++)
        for (var t = 0; t < length; t++)
        {
            inputs[b * length + t] = stream[starts[b] + t];
            targets[b * length + t] = stream[starts[b] + t + 1];
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

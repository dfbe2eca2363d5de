// Options of degeneration-protocol: the texts whose windows give the prefixes and the human continuations, the prefix and
// continuation lengths, the decoders and the windows ℓ of rep/ℓ.
// References: Welleck et al. (2019), "Neural Text Generation with Unlikelihood Training" (arXiv:1908.04319), §6 (50-token
// prefixes, 100-token continuations; seq-rep-4, uniq-seq, rep/ℓ with ℓ ∈ {16, 32, 128}, wrep, uniq); Holtzman et al.
// (2020), "The Curious Case of Neural Text Degeneration" (arXiv:1904.09751), Table 1 (greedy, beam, pure sampling,
// sampling t = 0.9, top-k, nucleus p = 0.95; perplexity and repetition %).
using System.ComponentModel.DataAnnotations;
using System.Globalization;
using TrajectoryLab.Torch.Sampling;

namespace TrajectoryLab.Experiments.DegenerationProtocol;

/// <summary>Options of <c>degeneration-protocol</c>.</summary>
public sealed class DegenerationProtocolOptions : ExperimentOptions, IPreflight
{
    /// <summary>The model (one: the random-init twin is not part of the protocol).</summary>
    [Required]
    public ModelChoice Model { get; set; } = new() { CompareRandom = false };

    /// <summary>The texts; each is cut into up to <see cref="Windows"/> back-to-back windows of prefix + continuation tokens
    /// after its BOS token.</summary>
    public TextChoice Text { get; set; } = new() { Documents = 50, Tokens = 151 };

    /// <summary>Windows taken from each text (fewer when the text is shorter).</summary>
    [Range(1, 1000)]
    public int Windows { get; set; } = 1;

    /// <summary>Prefix tokens (the BOS token is read before them and not counted).</summary>
    [Range(1, 100_000)]
    public int PrefixTokens { get; set; } = 50;

    /// <summary>Tokens each decoder continues every prefix with (and the length of the human continuation).</summary>
    [Range(4, 100_000)]
    public int ContinuationTokens { get; set; } = 100;

    /// <summary>Decoders, by name: "greedy", "beam-B" (beam search of width B), "top-k-K", "top-p-P" (nucleus) and
    /// "sampling-t-T" (temperature T; "sampling-t-1" is pure sampling); the sampled ones at temperature 1 unless named.</summary>
    [MinLength(1)]
    public string[] Decoders { get; set; } =
    ["greedy", "beam-10", "top-k-50", "top-p-0.9", "top-p-0.95", "sampling-t-1", "sampling-t-0.9", "sampling-t-0.7"];

    /// <summary>Windows ℓ of rep/ℓ.</summary>
    [MinLength(1), EachInRange(1, 100_000)]
    public int[] RepWindows { get; set; } = [16, 32, 128];

    /// <summary>Prompts per beam-search session (each has B rows): bounds the key–value cache.</summary>
    [Range(1, 10_000)]
    public int BeamPrompts { get; set; } = 25;

    /// <summary>One decoder as the experiment runs it.</summary>
    /// <param name="Name">Its name in <see cref="Decoders"/>.</param>
    /// <param name="Beams">Beam width, or 0 for a sampler.</param>
    /// <param name="Sampler">The sampler (null for beam search).</param>
    public sealed record Decoder(string Name, int Beams, SamplerOptions? Sampler);

    /// <summary>The decoder named <paramref name="name"/>, or null when the name is not one of the forms of
    /// <see cref="Decoders"/> or its parameter is out of range.</summary>
    public static Decoder? Parse(string name)
    {
        static double? Number(string s) =>
            double.TryParse(s, NumberStyles.Float, CultureInfo.InvariantCulture, out var v) && double.IsFinite(v) ? v : null;
        if (name == "greedy")
            return new(name, 0, SamplerOptions.Greedy);
        if (name.StartsWith("beam-", StringComparison.Ordinal) && int.TryParse(name[5..], CultureInfo.InvariantCulture, out var b))
            return b is >= 1 and <= 1000 ? new(name, b, null) : null;
        if (name.StartsWith("top-k-", StringComparison.Ordinal) && int.TryParse(name[6..], CultureInfo.InvariantCulture, out var k))
            return k >= 1 ? new(name, 0, new SamplerOptions { TopK = k }) : null;
        if (name.StartsWith("top-p-", StringComparison.Ordinal) && Number(name[6..]) is { } p)
            return p is > 0 and <= 1 ? new(name, 0, new SamplerOptions { TopP = p }) : null;
        if (name.StartsWith("sampling-t-", StringComparison.Ordinal) && Number(name[11..]) is { } t)
            return t is > 0 and <= 100 ? new(name, 0, new SamplerOptions { Temperature = t }) : null;
        return null;
    }

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths)
    {
        if (Decoders.FirstOrDefault(d => Parse(d) is null) is { } bad)
            return (
                "decoders",
                $"unknown decoder '{bad}'; use greedy, beam-B (1 … 1000), top-k-K, top-p-P (0 < P ≤ 1) or sampling-t-T (0 < T ≤ 100)"
            );
        if (Decoders.Distinct().Count() != Decoders.Length)
            return ("decoders", "a decoder is listed twice");
        if (Model.CompareRandom)
            return ("model:compareRandom", "degeneration-protocol measures one model; set model.compareRandom to false");
        if (Text.Ids.Length == 0 && Text.Tokens < 1 + PrefixTokens + ContinuationTokens)
            return (
                "text:tokens",
                $"a window needs the BOS token, {PrefixTokens} prefix and {ContinuationTokens} continuation tokens: "
                    + $"text.tokens must be ≥ {1 + PrefixTokens + ContinuationTokens}"
            );
        var problem = Model.Check(paths, out var model) ?? Text.Check(model!);
        if (problem is not null)
            return problem;
        var (spec, n) = (model!.Spec, model.Spec.MaxPositionEmbeddings);
        if (spec.Block.Mamba is null && n > 0 && n < 1 + PrefixTokens + ContinuationTokens) // a Mamba has no position limit
            return (
                "continuationTokens",
                $"the model reads at most {n} positions; BOS + {PrefixTokens} prefix + {ContinuationTokens} continuation tokens do not fit"
            );
        return null;
    }
}

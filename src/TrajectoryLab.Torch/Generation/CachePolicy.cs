// Which keys an attention layer keeps: StreamingLLM's policy of k "attention sink" positions at the start and a window of
// the last W positions (the query's own included), with positions counted inside the cache rather than in the text.
// A query at position q sees keys 0 … k − 1 and q − W + 1 … q; once q ≥ k + W it sits at cache position k + W − 1, the
// window keys keep their distances to it (q − p) and a sink key j is read as k + W − 1 − j away instead of q − j. With
// rotary positions that is all re-indexing changes, so it is exact to keep the keys rotated at their own positions and
// rotate the query a second time, at its cache position, for the scores against sink keys (docs/attention-sinks.md).
// k = 0 is the plain sliding window (which re-indexing does not change). The policy applies to the full-attention layers
// of a model with rotary or no positions; sliding-window layers keep their own window; a recurrent layer has no cache.
// Reference: Xiao, Tian, Chen, Han & Lewis (2024), "Efficient Streaming Language Models with Attention Sinks", ICLR,
// arXiv:2309.17453, §3.2 (the rolling KV cache with attention sinks, positions assigned within the cache).
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Generation;

/// <summary>Keep the first <paramref name="Sinks"/> positions and the last <paramref name="Window"/> (the query's own
/// included) in every full-attention layer, positions re-indexed within the cache.</summary>
/// <param name="Sinks">k ≥ 0: attention-sink positions kept from the start of the text.</param>
/// <param name="Window">W ≥ 1: most recent positions kept, the query's own included.</param>
public sealed record CachePolicy(int Sinks, int Window)
{
    /// <summary>Positions a query sees at most: k + W.</summary>
    public int Size => Sinks + Window;

    /// <summary>The first invalid field and what is wrong with it, or null when both are valid.</summary>
    public (string Name, string Problem)? FindProblem() =>
        Sinks < 0 ? ("sinks", $"must be ≥ 0, is {Sinks}")
        : Window < 1 ? ("window", $"must be ≥ 1, is {Window}")
        : null;

    /// <summary>Why the policy cannot run on <paramref name="spec"/>, or null when it can.</summary>
    /// <param name="spec">The model's architecture.</param>
    public string? ProblemWith(ModelSpec spec)
    {
        ArgumentNullException.ThrowIfNull(spec);
        var design = spec.Block;
        if (design.Mixer != MixerKind.Attention)
            return "a cache policy keeps attention keys, and this model has no attention layer (a recurrent state has no cache to "
                + "trim)";
        if (Enumerable.Range(0, spec.NumLayers).All(l => design.WindowOf(spec, l) is not null))
            return "every attention layer of this model has its own sliding window; a cache policy applies to full-attention layers";
        if (design.Positions == PositionKind.Learned)
            return "the model has learned absolute positions, which every cached key carries: they cannot be re-indexed within "
                + "the cache (StreamingLLM applies to rotary or no positions)";
        if (spec.RopeScaling is { Kind: RopeScalingKind.Dynamic })
            return "dynamic NTK rope scaling changes every frequency with the pass length, so a key's rotation is not one position's";
        return null;
    }
}

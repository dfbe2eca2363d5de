// bench-decode: decode tokens/s (single stream and batched, aggregate) and prefill tokens/s of a Llama of the
// stories15M shape (Karpathy's llama2.c: dim 288, 6 layers, 6 heads, hidden 768, vocab 32000) with random weights,
// against the machine's own floors measured in the same run (calls, bandwidth, arithmetic); DecodeBenchReport reads them
// against the targets.
using Microsoft.Extensions.Logging;
using TrajectoryLab.Torch.Bench;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>Runs <see cref="DecodeBenchmark"/> on a random-weight model of the configured shape.</summary>
public sealed class DecodeBenchExperiment : Experiment<DecodeBenchOptions, DecodeBenchResult>
{
    /// <inheritdoc/>
    public override string Kind => "bench-decode";

    /// <inheritdoc/>
    public override DecodeBenchResult Measure(DecodeBenchOptions o, IMeasureContext run)
    {
        var spec = Spec(o);
        var r = run.Phase("benchmark", () =>
            DecodeBenchmark.Run(spec, o.Batches, o.PromptTokens, o.NewTokens, o.PrefillTokens, o.Repeats, o.Seed, o.Threads, step =>
                run.Logger.LogInformation("{Step}", step)
            )
        );
        return new DecodeBenchResult(r);
    }

    /// <inheritdoc/>
    public override void Report(DecodeBenchOptions o, DecodeBenchResult result, RunContext run) => DecodeBenchReport.Render(o, result, run);

    /// <summary>The model the options describe (KV heads 0 = one per query head).</summary>
    public static ModelSpec Spec(DecodeBenchOptions o) =>
        ModelSpec.Llama(
            o.Vocab,
            o.Dim,
            o.Hidden,
            o.Layers,
            o.Heads,
            o.KvHeads == 0 ? null : o.KvHeads,
            context: o.Context,
            tieWordEmbeddings: o.Tied
        );
}

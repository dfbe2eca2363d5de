// bench-decode: decode tokens/s (single stream and batched, aggregate) and prefill tokens/s of a Llama of the
// stories15M shape (Karpathy's llama2.c: dim 288, 6 layers, 6 heads, hidden 768, vocab 32000) with random weights,
// against the machine's own floors measured in the same run (calls, bandwidth, arithmetic); DecodeBenchReport reads them
// against the targets. With "architectures", the other families are shaped from the same sizes
// (ModelSpec.Shaped) and timed the same way, to be read as ratios to the Llama.
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
        // The comparison measures the Llama again, interleaved with the others (DecodeBenchmark.Compare), so that every ratio
        // is read against a Llama timed in the same rounds.
        var compared = o.Architectures.Any(a => a != spec.ModelType)
            ? run.Phase("compare architectures", () =>
                DecodeBenchmark.Compare(
                    [spec, .. o.Architectures.Where(a => a != spec.ModelType).Select(a => Spec(o, a))],
                    o.Batches,
                    o.PromptTokens,
                    o.NewTokens,
                    o.PrefillTokens,
                    o.Repeats,
                    o.Seed,
                    o.Threads,
                    step => run.Logger.LogInformation("{Step}", step)
                )
            )
            : [];
        return new DecodeBenchResult(r, compared);
    }

    /// <inheritdoc/>
    public override void Report(DecodeBenchOptions o, DecodeBenchResult result, RunContext run) => DecodeBenchReport.Render(o, result, run);

    /// <summary>The Llama the options describe (KV heads 0 = one per query head), the reference of every comparison.</summary>
    public static ModelSpec Spec(DecodeBenchOptions o) => Spec(o, "llama");

    /// <summary>The <paramref name="modelType"/> model of the options' sizes, with its family's design.</summary>
    public static ModelSpec Spec(DecodeBenchOptions o, string modelType) => ModelSpec.Shaped(modelType, o.Sizes);
}

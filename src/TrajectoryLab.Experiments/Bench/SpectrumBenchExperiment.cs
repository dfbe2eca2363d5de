// bench-spectrum: the cost of one k-direction Lyapunov-spectrum step (TeacherForcedDynamics: the k tangents as k extra
// batch rows through the KV cache, then QR of the observed deviations and the re-combination of every cache deviation)
// relative to one plain teacher-forced decoding step of a single trajectory at the same positions, measured in the same
// run on the default model, for k = 1, 4, 16, 64; SpectrumBenchReport splits it into the batch forward and the QR +
// re-combination, and reads it against the target (k = 16 costs at most 3× one decoding step on CPU, its propagation at most 2×).
// References: Benettin et al. (1980), Meccanica 15:9 (tangents + QR); SpectrumBenchmark (src/TrajectoryLab.Torch/Bench)
// for what each figure times.
using Microsoft.Extensions.Logging;
using TrajectoryLab.Torch.Bench;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>Runs <see cref="SpectrumBenchmark"/> on the configured model.</summary>
/// <param name="paths">The project's paths (to resolve the model).</param>
public sealed class SpectrumBenchExperiment(ProjectPaths paths) : Experiment<SpectrumBenchOptions, SpectrumBenchResult>
{
    /// <inheritdoc/>
    public override string Kind => "bench-spectrum";

    /// <inheritdoc/>
    public override SpectrumBenchResult Measure(SpectrumBenchOptions o, IMeasureContext run)
    {
        var source = ModelLocator.Resolve(o.Model, null, paths);
        using var lm = run.Phase("load", () => LanguageModel.Load(source, new ModelOptions { Device = o.Device, DType = o.DType }));
        var spec = lm.Spec;
        var length = o.PromptTokens + o.Steps + 1;
        if (length > spec.MaxPositionEmbeddings)
            throw new ArgumentException(
                $"promptTokens + steps + 1 = {length} exceeds the model's context of " + $"{spec.MaxPositionEmbeddings} positions"
            );

        // The text: random ids from a seeded generator. A dense model's cost does not depend on which tokens it reads, so
        // any fixed sequence measures the same; random ids need no tokenizer or corpus and give any length exactly.
        var random = new Random(o.Seed);
        var tokens = Enumerable.Range(0, length).Select(_ => random.Next(spec.VocabSize)).ToArray();

        var r = run.Phase("benchmark", () =>
            SpectrumBenchmark.Run(
                lm,
                tokens,
                o.PromptTokens,
                o.Steps,
                o.Directions,
                o.Repeats,
                o.Threads,
                o.Layer,
                o.Epsilon,
                o.Seed,
                note => run.Logger.LogInformation("{Note}", note),
                run.Cancellation
            )
        );
        return new SpectrumBenchResult(ModelFacts.Of(o.Model, source.Path, lm), spec.NumKvHeads, spec.HeadDim, r);
    }

    /// <inheritdoc/>
    public override void Report(SpectrumBenchOptions o, SpectrumBenchResult result, RunContext run) =>
        SpectrumBenchReport.Render(o, result, run);
}

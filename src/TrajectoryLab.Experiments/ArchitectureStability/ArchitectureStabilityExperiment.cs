// architecture-stability: does the architecture decide orbit stability? Each configured model (by default the committed
// brown-small, a Llama transformer, and brown-mamba, a Mamba-1 state-space model trained alike) and its random-init twin
// are measured on the same validation texts and prompts by ContrastMeasures: teacher-forced Lyapunov spectra, free-running
// butterfly copies, memory (substitution KL and a linear probe against distance), and profiles past the training length.
// ArchitectureStabilityReport renders the contrasts with their intervals and the summary figure.
// References: Gu & Dao (2023), arXiv:2312.00752; Benettin et al. (1980), Meccanica 15:9; docs/architecture-stability.md.
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Experiments.ArchitectureStability;

/// <summary>Measures every model of the comparison in turn (one model in memory at a time, with its twin).</summary>
/// <param name="paths">The project paths (models and texts).</param>
public sealed class ArchitectureStabilityExperiment(ProjectPaths paths)
    : Experiment<ArchitectureStabilityOptions, ArchitectureStabilityResult>
{
    /// <inheritdoc/>
    public override string Kind => "architecture-stability";

    /// <inheritdoc/>
    public override ArchitectureStabilityResult Measure(ArchitectureStabilityOptions o, IMeasureContext run)
    {
        var compared = new List<ComparedModel>();
        var spectra = new List<SpectrumCell>();
        var butterfly = new List<ButterflyCopy>();
        var substitutions = new List<SubstitutionSample>();
        var probe = new List<ProbePoint>();
        var lengths = new List<LengthProfile>();
        IReadOnlyList<string> textNames = [];
        foreach (var choice in o.Models)
        {
            using var loaded = run.Phase($"load {choice.Name}", () => ModelPair.Load(choice, paths));
            var (models, tokenizer, folder) = loaded;
            var texts = run.Phase("texts", () => TextSource.Load(o.Text, tokenizer, paths));
            if (texts.Count < 2 || texts.Any(t => t.Tokens.Length < o.Length.TrainingContext * o.Length.Factor))
                throw new ArgumentException(
                    $"text: need at least 2 texts of {o.Length.TrainingContext * o.Length.Factor} tokens "
                        + $"(length.trainingContext × length.factor); got {texts.Count}, the shortest "
                        + $"{(texts.Count == 0 ? 0 : texts.Min(t => t.Tokens.Length))}"
                );
            textNames = [.. texts.Select(t => t.Name)];
            var prompts = PromptSource.Of(o.Butterfly.Prompts, [], tokenizer);
            var name = Path.GetFileName(Path.TrimEndingDirectorySeparator(folder));
            foreach (var m in models)
            {
                var label = $"{name} ({(m.Label == "trained" ? "trained" : "random init")})";
                var spec = m.Model.Spec;
                compared.Add(
                    new ComparedModel(
                        label,
                        spec.ModelType,
                        m.Label == "trained",
                        m.Model.ParameterCount,
                        ModelFacts.Of(choice.Name, folder, m.Model),
                        StateFloats(spec, o.Length.TrainingContext)
                    )
                );
                run.Phase($"spectra {label}", () =>
                {
                    foreach (var text in texts)
                    {
                        run.Cancellation.ThrowIfCancellationRequested();
                        spectra.Add(ContrastMeasures.Spectrum(label, m.Model, text, o.Spectrum, o.Seed));
                    }
                });
                run.Phase($"butterfly {label}", () =>
                    butterfly.AddRange(ContrastMeasures.Butterfly(label, m.Model, prompts, o.Butterfly, o.Seed))
                );
                var residuals = new float[texts.Count][];
                run.Phase($"length {label}", () =>
                {
                    for (var i = 0; i < texts.Count; i++)
                    {
                        run.Cancellation.ThrowIfCancellationRequested();
                        var (profile, residual) = ContrastMeasures.Length(label, m.Model, i, texts[i].Tokens, o.Length);
                        lengths.Add(profile);
                        residuals[i] = residual;
                    }
                });
                run.Phase($"memory {label}", () =>
                {
                    for (var i = 0; i < texts.Count; i++)
                        substitutions.AddRange(ContrastMeasures.Substitutions(label, m.Model, i, texts[i].Tokens, o.Memory, o.Seed));
                    var read = texts.Select(t => t.Tokens[..(o.Length.TrainingContext * o.Length.Factor)]).ToArray();
                    probe.AddRange(ContrastMeasures.Probe(label, read, residuals, spec.HiddenSize, o.Memory));
                });
            }
        }
        return new ArchitectureStabilityResult(compared, textNames, spectra, butterfly, o.Memory.Distances, substitutions, probe, lengths);
    }

    /// <inheritdoc/>
    public override void Report(ArchitectureStabilityOptions o, ArchitectureStabilityResult result, RunContext run) =>
        ArchitectureStabilityReport.Render(o, result, run);

    /// <summary>Floats of the generation map's state per sequence after <paramref name="tokens"/> tokens: a Mamba's SSM state
    /// and convolution window (fixed), or an attention model's keys and values (growing with the context, capped by a sliding
    /// window).</summary>
    internal static long StateFloats(ModelSpec spec, int tokens)
    {
        if (spec.Block.Mamba is { } m)
            return (long)spec.NumLayers * spec.IntermediateSize * (m.StateSize + m.ConvKernel - 1);
        return 2L * spec.NumLayers * spec.NumKvHeads * spec.HeadDim * tokens;
    }
}

// Options of architecture-stability: the models compared (each with its random-init twin), the validation texts, and
// the settings of the four contrasts — teacher-forced spectra, free-running butterfly, memory (substitution KL and the
// linear probe) and the profile past the training length.
// References: Benettin et al. (1980), Meccanica 15:9 (spectra); Alain & Bengio (2016) (linear probes).
using System.ComponentModel.DataAnnotations;

namespace TrajectoryLab.Experiments.ArchitectureStability;

/// <summary>The teacher-forced Lyapunov spectrum of each model.</summary>
public sealed class SpectrumSettings
{
    /// <summary>Residual site perturbed (0 = the embedding's output, the input of the first block).</summary>
    [Range(0, 10_000)]
    public int Layer { get; set; }

    /// <summary>Tangent directions k.</summary>
    [Range(1, 4096)]
    public int Directions { get; set; } = 16;

    /// <summary>Perturbation size of the two-trajectory cross-check, relative to ||h||.</summary>
    [Range(1e-12, 1.0)]
    public double Epsilon { get; set; } = 1e-3;

    /// <summary>Tokens read before the tangents start.</summary>
    [Range(1, 100_000)]
    public int PromptLength { get; set; } = 8;

    /// <summary>Steps re-orthonormalised but not counted.</summary>
    [Range(0, 100_000)]
    public int Transient { get; set; } = 16;

    /// <summary>Tokens of each text read by the spectrum (its first ones).</summary>
    [Range(2, 1_000_000)]
    public int Tokens { get; set; } = 192;
}

/// <summary>Free-running perturbed copies.</summary>
public sealed class ButterflySettings
{
    /// <summary>Prompts generated from.</summary>
    [MinLength(1)]
    public string[] Prompts { get; set; } = ["The jury said", "It was a cold morning and"];

    /// <summary>Perturbation sizes relative to ||h|| at the last prompt position.</summary>
    [MinLength(1), EachInRange(1e-12, 10)]
    public double[] Epsilons { get; set; } = [1e-3, 1e-2, 1e-1];

    /// <summary>Decoding temperatures (0 = greedy).</summary>
    [MinLength(1), EachInRange(0, 10)]
    public double[] Temperatures { get; set; } = [0, 1];

    /// <summary>Copies per ε.</summary>
    [Range(1, 1000)]
    public int Copies { get; set; } = 4;

    /// <summary>Tokens generated.</summary>
    [Range(1, 100_000)]
    public int Steps { get; set; } = 64;

    /// <summary>Residual site perturbed.</summary>
    [Range(0, 10_000)]
    public int Layer { get; set; }
}

/// <summary>How long a model remembers a token.</summary>
public sealed class MemorySettings
{
    /// <summary>Distances d at which the effect of token t is read (at position t + d).</summary>
    [MinLength(1), EachInRange(0, 100_000)]
    public int[] Distances { get; set; } = [1, 2, 4, 8, 16, 32, 64, 128];

    /// <summary>Positions t substituted per text (spread evenly).</summary>
    [Range(1, 10_000)]
    public int Positions { get; set; } = 12;

    /// <summary>Tokens of each text read by the substitution passes (its first ones).</summary>
    [Range(2, 1_000_000)]
    public int Tokens { get; set; } = 256;

    /// <summary>Classes of the probe: the most frequent tokens of the probe's training texts.</summary>
    [Range(2, 100_000)]
    public int ProbeClasses { get; set; } = 32;

    /// <summary>Ridge penalty of the probe (on standardised features).</summary>
    [Range(0.0, 1e9)]
    public double ProbeLambda { get; set; } = 10;
}

/// <summary>Positions up to and past the training context.</summary>
public sealed class LengthSettings
{
    /// <summary>The window both models were trained on (positions past it were never seen in training).</summary>
    [Range(1, 1_000_000)]
    public int TrainingContext { get; set; } = 256;

    /// <summary>Positions read and generated, as a multiple of the training context.</summary>
    [Range(1, 64)]
    public int Factor { get; set; } = 4;

    /// <summary>Positions per window of the profiles.</summary>
    [Range(1, 100_000)]
    public int Window { get; set; } = 64;

    /// <summary>Prompt tokens (the text's first ones) the greedy generations continue.</summary>
    [Range(1, 100_000)]
    public int PromptLength { get; set; } = 16;
}

/// <summary>Options of <c>architecture-stability</c>.</summary>
public sealed class ArchitectureStabilityOptions : ExperimentOptions, IPreflight
{
    /// <summary>The models compared, each with (unless turned off) its random-init twin.</summary>
    [MinLength(1)]
    public ModelChoice[] Models { get; set; } = [new() { Name = ModelLocator.Default }, new() { Name = "models/brown-mamba" }];

    /// <summary>The validation texts; each must hold trainingContext × factor tokens.</summary>
    public TextChoice Text { get; set; } = new() { Documents = 4, Tokens = 1024 };

    /// <summary>The spectra.</summary>
    public SpectrumSettings Spectrum { get; set; } = new();

    /// <summary>The butterfly copies.</summary>
    public ButterflySettings Butterfly { get; set; } = new();

    /// <summary>The memory measures.</summary>
    public MemorySettings Memory { get; set; } = new();

    /// <summary>The length profile.</summary>
    public LengthSettings Length { get; set; } = new();

    /// <summary>Bootstrap resamples of every interval that is not a t-interval.</summary>
    [Range(10, 1_000_000)]
    public int BootstrapResamples { get; set; } = 1000;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths)
    {
        for (var i = 0; i < Models.Length; i++)
        {
            var key = $"models:{i}";
            if (Models[i].Check(paths, out var model) is { } problem)
                return (key + problem.Key["model".Length..], problem.Problem);
            if (Text.Check(model!) is { } text)
                return text;
            if (PromptSource.Check(Butterfly.Prompts, [], model!, "butterfly:") is { } prompt)
                return prompt;
            if (Spectrum.Layer > model!.Spec.NumLayers - 1 || Butterfly.Layer > model.Spec.NumLayers)
                return (
                    Spectrum.Layer > model.Spec.NumLayers - 1 ? "spectrum:layer" : "butterfly:layer",
                    $"{model.Source.Path} has {model.Spec.NumLayers} blocks"
                );
        }
        if (Text.Tokens < Length.TrainingContext * Length.Factor)
            return (
                "text:tokens",
                $"{Text.Tokens} is below length.trainingContext × length.factor = {Length.TrainingContext * Length.Factor}"
            );
        if (Memory.Tokens > Text.Tokens || Spectrum.Tokens > Text.Tokens)
            return ("text:tokens", "memory.tokens and spectrum.tokens must not exceed text.tokens");
        if (Memory.Distances.Max() + 2 > Memory.Tokens)
            return ("memory:distances", $"the largest distance {Memory.Distances.Max()} leaves no position in {Memory.Tokens} tokens");
        return null;
    }
}

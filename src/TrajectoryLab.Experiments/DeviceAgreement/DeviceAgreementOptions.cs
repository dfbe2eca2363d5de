// Options of device-agreement: which models are compared (the trained default model and a random Llama of a given
// shape), on which device and in which dtypes, over which text, against CPU float32.
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Experiments.DeviceAgreement;

/// <summary>The shape of the random-weight Llama compared besides the trained model.</summary>
public sealed class RandomLlamaOptions
{
    /// <summary>Compare it at all.</summary>
    public bool Enabled { get; set; } = true;

    [Range(8, 16384)]
    public int Dim { get; set; } = 384;

    [Range(1, 256)]
    public int Layers { get; set; } = 6;

    [Range(1, 256)]
    public int Heads { get; set; } = 6;

    /// <summary>Key/value heads (grouped-query attention when below heads).</summary>
    [Range(1, 256)]
    public int KvHeads { get; set; } = 2;

    [Range(8, 65536)]
    public int Hidden { get; set; } = 1024;

    [Range(2, 1_000_000)]
    public int Vocab { get; set; } = 4096;

    /// <summary>Standard deviation of the N(0, σ²) weights.</summary>
    [Range(1e-6, 10.0)]
    public double Std { get; set; } = 0.02;

    [Range(typeof(long), "0", "9223372036854775807")]
    public long Seed { get; set; } = 3;
}

/// <summary>Options of <c>device-agreement</c>.</summary>
public sealed class DeviceAgreementOptions : ExperimentOptions, IPreflight, IValidatableObject
{
    /// <summary>The trained model ("default" = models/brown-small); its device and dtype are ignored (see
    /// <see cref="Device"/> and <see cref="DTypes"/>), and compareRandom adds nothing here.</summary>
    public ModelChoice Model { get; set; } = new() { CompareRandom = false };

    /// <summary>The random Llama compared besides it.</summary>
    public RandomLlamaOptions RandomLlama { get; set; } = new();

    /// <summary>The device under test: "cpu", "cuda" or "cuda:N". The reference is always CPU float32.</summary>
    [Required, RegularExpression("^(cpu|cuda(:[0-9]+)?)$")]
    public string Device { get; set; } = "cpu";

    /// <summary>The dtypes tested on <see cref="Device"/>.</summary>
    public string[] DTypes { get; set; } = ["float32", "bfloat16", "float16"];

    /// <summary>The text read teacher-forced by both models (its first document's first tokens).</summary>
    public TextChoice Text { get; set; } = new() { Documents = 1, Tokens = 128 };

    /// <summary>Greedy tokens generated from the text's first <see cref="PromptTokens"/> tokens, to see where the candidate's
    /// own trajectory first leaves the reference's (a near-tie flips, then the orbits differ).</summary>
    [Range(0, 100_000)]
    public int GreedyTokens { get; set; } = 64;

    /// <summary>Prompt of the greedy comparison.</summary>
    [Range(1, 100_000)]
    public int PromptTokens { get; set; } = 8;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths) =>
        Model.Check(paths, out var model) is { } problem ? problem
        : Torch.Generation.ModelOptions.DeviceProblem(Device) is { } device ? ("device", device)
        : Text.Check(model!);

    /// <inheritdoc/>
    public IEnumerable<ValidationResult> Validate(ValidationContext context)
    {
        if (DTypes.Length == 0)
            yield return new ValidationResult("dTypes: name at least one of float32, bfloat16, float16", ["DTypes"]);
        foreach (var d in DTypes.Where(d => d is not ("float32" or "bfloat16" or "float16")))
            yield return new ValidationResult($"dTypes: '{d}' is not one of float32, bfloat16, float16", ["DTypes"]);
        if (RandomLlama.Dim % RandomLlama.Heads != 0 || RandomLlama.Dim / RandomLlama.Heads % 2 != 0)
            yield return new ValidationResult(
                $"randomLlama: dim {RandomLlama.Dim} / heads {RandomLlama.Heads} must be an even integer",
                ["RandomLlama:Heads"]
            );
        if (RandomLlama.Heads % RandomLlama.KvHeads != 0)
            yield return new ValidationResult(
                $"randomLlama: kvHeads {RandomLlama.KvHeads} must divide heads {RandomLlama.Heads}",
                ["RandomLlama:KvHeads"]
            );
    }
}

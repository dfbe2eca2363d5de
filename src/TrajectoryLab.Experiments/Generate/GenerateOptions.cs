// Options of generate: which model, which prompts (text or token ids), how to decode, and when a tail counts as a loop.
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Experiments.Generate;

/// <summary>Options of <c>generate</c>.</summary>
public sealed class GenerateOptions : ExperimentOptions, IPreflight
{
    /// <summary>"default" (models/brown-small), a Hugging Face folder, a .safetensors file with config.json beside it, or a
    /// llama2.c .bin.</summary>
    [Required]
    public string Model { get; set; } = ModelLocator.Default;

    /// <summary>A tokenizer.json or tokenizer.bin to use instead of the one beside the weights; null for that one (or none).</summary>
    public string? Tokenizer { get; set; }

    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    [Required]
    public string Device { get; set; } = "cpu";

    /// <summary>"float32", "bfloat16" or "float16".</summary>
    [Required]
    public string DType { get; set; } = "float32";

    /// <summary>Which keys full-attention layers keep: StreamingLLM's sinks and window (docs/attention-sinks.md); null for
    /// every key.</summary>
    public CacheChoice? Cache { get; set; }

    /// <summary>Prompts; each is continued separately, preceded by the tokenizer's BOS (or EOS) token.</summary>
    public string[] Prompts { get; set; } = ["The jury said"];

    /// <summary>Prompts as token ids, used as they are (nothing prepended) instead of <see cref="Prompts"/> when nonempty:
    /// how a model without a tokenizer is prompted.</summary>
    public int[][] PromptIds { get; set; } = [];

    /// <summary>Tokens generated per prompt (fewer if EOS comes first).</summary>
    [Range(1, 100_000)]
    public int MaxNewTokens { get; set; } = 120;

    /// <summary>0 = greedy.</summary>
    [Range(0.0, 100.0)]
    public double Temperature { get; set; } = 0;

    /// <summary>Sample from the k most probable tokens only; 0 = all.</summary>
    [Range(0, 1_000_000)]
    public int TopK { get; set; }

    /// <summary>Nucleus: sample from the smallest set holding this much probability; 1 = all.</summary>
    [Range(0.0, 1.0)]
    public double TopP { get; set; } = 1;

    /// <summary>Drop tokens less probable than min_p × the most probable one; 0 = none.</summary>
    [Range(0.0, 1.0)]
    public double MinP { get; set; }

    /// <summary>Logit penalty for tokens already in the context (Keskar et al. 2019); 1 = none.</summary>
    [Range(0.01, 100.0)]
    public double RepetitionPenalty { get; set; } = 1;

    /// <summary>A loop must repeat this many times at the end to count.</summary>
    [Range(2, 1000)]
    public int LoopRepeats { get; set; } = 3;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths) =>
        ModelPreflight.Check(Model, Tokenizer, paths, out var model) is { } problem
            ? (problem.InTokenizer && Tokenizer is not null ? "tokenizer" : "model", problem.Message)
        : ModelOptions.DeviceProblem(Device) is { } device ? ("device", device)
        : Cache is not null && new CachePolicy(Cache.Sinks, Cache.Window).ProblemWith(model!.Spec) is { } cache ? ("cache", cache)
        : PromptSource.Check(Prompts, PromptIds, model!);
}

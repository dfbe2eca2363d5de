// The models a dynamics experiment measures side by side: the trained model the config names ("default" is the
// committed models/brown-small) and, unless turned off, the same architecture with random weights (N(0, 0.02²), the
// initialisation training starts from), so that every exponent can be read against what training changed.
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments;
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>Which model to load, where, and whether to add its randomly initialised twin.</summary>
public sealed class ModelChoice
{
    /// <summary>"default" (models/brown-small), a Hugging Face folder, a .safetensors file with config.json beside it, or a
    /// llama2.c .bin.</summary>
    [Required]
    public string Name { get; set; } = ModelLocator.Default;

    /// <summary>A tokenizer.json or tokenizer.bin to use instead of the one beside the weights; null for that one (or none).</summary>
    public string? Tokenizer { get; set; }

    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    [Required]
    public string Device { get; set; } = "cpu";

    /// <summary>"float32", "bfloat16" or "float16".</summary>
    [Required]
    public string DType { get; set; } = "float32";

    /// <summary>Also measure the same architecture with random weights.</summary>
    public bool CompareRandom { get; set; } = true;

    /// <summary>Seed of the random twin's weights.</summary>
    [Range(typeof(long), "0", "9223372036854775807")]
    public long RandomSeed { get; set; } = 1;

    /// <summary>Which keys full-attention layers keep, in every pass of both models: StreamingLLM's sinks and window
    /// (docs/attention-sinks.md); null (the default) for every key.</summary>
    public CacheChoice? Cache { get; set; }

    /// <summary>The device, dtype and cache policy to load both models with.</summary>
    public ModelOptions Options =>
        new()
        {
            Device = Device,
            DType = DType,
            Cache = Cache is { } c ? new CachePolicy(c.Sinks, c.Window) : null,
        };

    /// <summary>The problem with the model (checked whole, see <see cref="ModelPreflight"/>) or its device, for an
    /// experiment's preflight check.</summary>
    public (string Key, string Problem)? Check(ProjectPaths paths) => Check(paths, out _);

    /// <summary>As <see cref="Check(ProjectPaths)"/>, also handing back the checked model (its architecture and tokenizer)
    /// for the checks that depend on it.</summary>
    public (string Key, string Problem)? Check(ProjectPaths paths, out CheckedModel? model) =>
        ModelPreflight.Check(Name, Tokenizer, paths, out model) is { } problem
            ? (problem.InTokenizer && Tokenizer is not null ? "model:tokenizer" : "model:name", problem.Message)
        : ModelOptions.DeviceProblem(Device) is { } device ? ("model:device", device)
        : Options.Cache?.ProblemWith(model!.Spec) is { } cache ? ("model:cache", cache)
        : null;
}

/// <summary>One model of the comparison.</summary>
/// <param name="Label">"trained" or "random init".</param>
/// <param name="Model">The loaded model (dispose it).</param>
public sealed record MeasuredModel(string Label, LanguageModel Model);

/// <summary>The models of one experiment, its tokenizer and where the model came from; disposing it frees the models.</summary>
/// <param name="Models">The trained model, then (if asked) its random twin.</param>
/// <param name="Tokenizer">The model's tokenizer, or an <see cref="IdOnlyTokenizer"/> when it has none.</param>
/// <param name="Folder">The path the model was read from.</param>
public sealed record LoadedModels(IReadOnlyList<MeasuredModel> Models, ITextTokenizer Tokenizer, string Folder) : IDisposable
{
    /// <summary>False when the model has no tokenizer (texts and prompts are then token ids).</summary>
    public bool HasTokenizer => Tokenizer is not IdOnlyTokenizer;

    /// <summary>Frees every model.</summary>
    public void Dispose()
    {
        foreach (var m in Models)
            m.Model.Dispose();
    }
}

/// <summary>Loads the models of a <see cref="ModelChoice"/>.</summary>
public static class ModelPair
{
    /// <summary>The trained model, then (if asked) its random twin; and the model's tokenizer.</summary>
    public static LoadedModels Load(ModelChoice choice, ProjectPaths paths)
    {
        var source = ModelLocator.Resolve(choice.Name, choice.Tokenizer, paths);
        var options = choice.Options;
        var trained = LanguageModel.Load(source, options);
        var models = new List<MeasuredModel> { new("trained", trained) };
        try
        {
            if (choice.CompareRandom)
                models.Add(new("random init", LanguageModel.Random(trained.Spec, choice.RandomSeed, options)));
            return new LoadedModels(models, TokenizerOf(source, trained.Spec.VocabSize), source.Path);
        }
        catch
        {
            foreach (var m in models)
                m.Model.Dispose();
            throw;
        }
    }

    /// <summary>The model's tokenizer, or an <see cref="IdOnlyTokenizer"/> when it has none.</summary>
    public static ITextTokenizer TokenizerOf(ModelSource source, int vocabularySize) =>
        source.LoadTokenizer(vocabularySize) ?? new IdOnlyTokenizer(vocabularySize);
}

/// <summary>A cache policy as an experiment file spells it: <c>"cache": { "sinks": 4, "window": 252 }</c>.</summary>
public sealed class CacheChoice
{
    /// <summary>k: the first positions every full-attention layer keeps (the attention sinks); 0 for a plain window.</summary>
    [Range(0, int.MaxValue)]
    public int Sinks { get; set; }

    /// <summary>W: the most recent positions kept, the query's own included.</summary>
    [Range(1, int.MaxValue)]
    public int Window { get; set; } = 1;
}

// The models a dynamics experiment measures side by side: the trained model the config names ("default" is the
// committed models/brown-small) and, unless turned off, the same architecture with random weights (N(0, 0.02²), the
// initialisation training starts from), so that every exponent can be read against what training changed.
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Cli.Runs;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Cli.Experiments.Dynamics;

/// <summary>Which model to load, where, and whether to add its randomly initialised twin.</summary>
public sealed class ModelChoice
{
    /// <summary>"default" (models/brown-small) or a Hugging Face model folder.</summary>
    [Required] public string Name { get; set; } = ModelLocator.Default;
    /// <summary>"cpu", "cuda" or "cuda:N".</summary>
    [Required] public string Device { get; set; } = "cpu";
    /// <summary>"float32", "bfloat16" or "float16".</summary>
    [Required] public string DType { get; set; } = "float32";
    /// <summary>Also measure the same architecture with random weights.</summary>
    public bool CompareRandom { get; set; } = true;
    /// <summary>Seed of the random twin's weights.</summary>
    public long RandomSeed { get; set; } = 1;

    /// <summary>The problem with <see cref="Name"/>, for an experiment's preflight check.</summary>
    public (string Key, string Problem)? Check(ProjectPaths paths) =>
        ModelLocator.TryResolve(Name, paths, out var problem) is null ? ("model:name", problem!)
        : ModelOptions.DeviceProblem(Device) is { } device ? ("model:device", device) : null;
}

/// <summary>One model of the comparison.</summary>
/// <param name="Label">"trained" or "random init".</param>
/// <param name="Model">The loaded model (dispose it).</param>
public sealed record MeasuredModel(string Label, LanguageModel Model);

/// <summary>The models of one experiment, its tokenizer and its model folder; disposing it frees the models.</summary>
/// <param name="Models">The trained model, then (if asked) its random twin.</param>
/// <param name="Tokenizer">The tokenizer of the model folder.</param>
/// <param name="Folder">The model folder.</param>
public sealed record LoadedModels(IReadOnlyList<MeasuredModel> Models, ITextTokenizer Tokenizer, string Folder) : IDisposable
{
    /// <summary>Frees every model.</summary>
    public void Dispose()
    {
        foreach (var m in Models) m.Model.Dispose();
    }
}

/// <summary>Loads the models of a <see cref="ModelChoice"/>.</summary>
public static class ModelPair
{
    /// <summary>The trained model, then (if asked) its random twin; and the tokenizer of the model folder.</summary>
    public static LoadedModels Load(ModelChoice choice, ProjectPaths paths)
    {
        var folder = ModelLocator.TryResolve(choice.Name, paths, out var problem) ?? throw new InvalidOperationException(problem);
        var options = new ModelOptions { Device = choice.Device, DType = choice.DType };
        var trained = LanguageModel.Load(folder, options);
        var models = new List<MeasuredModel> { new("trained", trained) };
        try
        {
            if (choice.CompareRandom) models.Add(new("random init", LanguageModel.Random(trained.Spec, choice.RandomSeed, options)));
            return new LoadedModels(models, HfTokenizer.Load(folder), folder);
        }
        catch
        {
            foreach (var m in models) m.Model.Dispose();
            throw;
        }
    }
}

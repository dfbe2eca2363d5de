// What a report says about the model it measured: where it came from and its shape, read off the loaded model when the
// measurement runs, so that a report rendered later from the saved result needs no model.
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>The measured model, as a report names it.</summary>
/// <param name="Name">The configuration's "model" value ("default" or a path).</param>
/// <param name="Path">The files read (folder, .safetensors or .bin).</param>
/// <param name="Architecture">config.json's model_type.</param>
/// <param name="Layers">Blocks.</param>
/// <param name="Width">d_model.</param>
/// <param name="Vocabulary">Token ids.</param>
/// <param name="Device">Where it ran.</param>
/// <param name="DType">Its weights' and activations' dtype.</param>
/// <param name="Cache">The cache policy its full-attention layers ran under, or null for every key.</param>
public sealed record ModelFacts(
    string Name,
    string Path,
    string Architecture,
    int Layers,
    int Width,
    int Vocabulary,
    string Device,
    string DType,
    CachePolicy? Cache = null
)
{
    /// <summary>The facts of <paramref name="model"/>, loaded from <paramref name="path"/> as <paramref name="name"/>.</summary>
    public static ModelFacts Of(string name, string path, LanguageModel model) =>
        new(
            name,
            path,
            model.Spec.ModelType,
            model.Spec.NumLayers,
            model.Spec.HiddenSize,
            model.Spec.VocabSize,
            model.Device,
            model.DType,
            model.Cache
        );
}

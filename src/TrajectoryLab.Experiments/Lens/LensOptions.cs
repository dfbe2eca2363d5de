// Options of lens: the model (and its random-init twin), the natural texts, the greedy continuations and the text read
// past the training length, and how the tuned lens is found or trained.
// References: nostalgebraist (2020), "interpreting GPT: the logit lens"; Belrose et al. (2023), "Eliciting Latent
// Predictions from Transformers with the Tuned Lens", arXiv:2303.08112.
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments.Shared;

namespace TrajectoryLab.Experiments.Lens;

/// <summary>Options of <c>lens</c>.</summary>
public sealed class LensOptions : ExperimentOptions, IPreflight
{
    /// <summary>The trained model and whether its random-init twin is read too.</summary>
    [Required]
    public ModelChoice Model { get; set; } = new();

    /// <summary>The natural texts (Brown validation documents by default), BOS first, read in one pass each.</summary>
    [Required]
    public TextChoice Text { get; set; } = new();

    /// <summary>Tokens of each text (BOS included) the model continues greedily; the continuation fills the text's length.
    /// 0 skips the greedy continuations.</summary>
    [Range(0, 100_000)]
    public int PromptTokens { get; set; } = 32;

    /// <summary>Repeats a terminal cycle needs to count as a loop (CycleDetector's minRepeats).</summary>
    [Range(2, 1000)]
    public int LoopRepeats { get; set; } = 3;

    /// <summary>Length of the texts read past the training context, as a multiple of max_position_embeddings; 0 skips
    /// them (and models with learned positions cannot read past them).</summary>
    [Range(0.0, 64.0)]
    public double PastLength { get; set; } = 2.0;

    /// <summary>The training context in tokens; 0 for the model's max_position_embeddings (a model without a limit, such as
    /// a Mamba, needs it set: brown-mamba was trained on 256-token windows).</summary>
    [Range(0, 1_000_000)]
    public int Context { get; set; }

    /// <summary>How many texts are read past the training context (the first natural texts long enough).</summary>
    [Range(0, 1000)]
    public int PastTexts { get; set; } = 2;

    /// <summary>The tuned lens: where it is read from, or how it is trained.</summary>
    [Required]
    public TunedLensChoice TunedLens { get; set; } = new();

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths)
    {
        if (PromptTokens > 0 && PromptTokens >= Text.Tokens)
            return ("promptTokens", "must be smaller than text.tokens, so that something is generated (or 0 to skip)");
        if (Model.Check(paths, out var model) is { } problem)
            return problem;
        if (PastLength > 0 && PastTexts > 0 && model!.Spec.Block.Positions == Torch.Models.PositionKind.Learned)
            return ("pastLength", "the model has learned positions and cannot read past them; set pastLength = 0");
        if (Context == 0 && model!.Spec.MaxPositionEmbeddings >= 1_000_000)
            return ("context", "the model has no max_position_embeddings; set context to the length it was trained on");
        if (TunedLens.Enabled && TunedLens.Path is { } path && !File.Exists(TunedLensChoice.Resolve(path, paths)))
            return ("tunedLens:path", $"no file '{path}'");
        if (TunedLens.Enabled && TunedLens.SavedPath(model!.Source.Path, paths) is var saved && File.Exists(saved))
        {
            // A saved lens is read whole before any run folder exists: a truncated file or a NaN fails here, naming the tensor.
            try
            {
                using var lens = Torch.Lens.TunedLens.Load(saved, model.Spec.NumLayers + 1, model.Spec.HiddenSize);
            }
            catch (Torch.Checkpoints.CheckpointException e)
            {
                return ("tunedLens:path", e.Message);
            }
        }
        return Text.Check(model!);
    }
}

/// <summary>Where the tuned lens comes from.</summary>
public sealed class TunedLensChoice
{
    /// <summary>Read a tuned lens next to the logit lens.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>A saved lens to read (it must carry the model's hash); null for <c>tuned-lens.safetensors</c> next to the
    /// model's weights, trained in the run when that is missing or was trained for other weights.</summary>
    public string? Path { get; set; }

    /// <summary><paramref name="path"/> as given when rooted, else under the project root.</summary>
    public static string Resolve(string path, ProjectPaths paths) =>
        System.IO.Path.IsPathRooted(path) ? path : System.IO.Path.Combine(paths.Root, path);

    /// <summary>The lens file a run reads (and, with <see cref="SaveWithModel"/>, writes): <see cref="Path"/>, or
    /// tuned-lens.safetensors next to the weights at <paramref name="modelPath"/> (a folder or a weights file).</summary>
    public string SavedPath(string modelPath, ProjectPaths paths) =>
        Path is { } p
            ? Resolve(p, paths)
            : System.IO.Path.Combine(
                Directory.Exists(modelPath) ? modelPath : System.IO.Path.GetDirectoryName(System.IO.Path.GetFullPath(modelPath))!,
                LensExperiment.LensFileName
            );

    /// <summary>Write a lens trained in the run next to the model's weights too (it always goes into the run folder).</summary>
    public bool SaveWithModel { get; set; }

    /// <summary>Train a tuned lens for the random-init twin in the run as well.</summary>
    public bool TrainRandom { get; set; } = true;

    /// <summary>Optimiser steps.</summary>
    [Range(0, 1_000_000)]
    public int Steps { get; set; } = 250;

    /// <summary>Windows (of the model's context length) per step.</summary>
    [Range(1, 1024)]
    public int BatchWindows { get; set; } = 4;

    /// <summary>SGD's learning rate at the first step (Nesterov momentum 0.9, decayed linearly to 0); Belrose et al.'s 1.0
    /// blew up on brown-small (docs/lens.md).</summary>
    [Range(1e-7, 100.0)]
    public double LearningRate { get; set; } = 0.1;

    /// <summary>Brown training-split documents the windows are cut from (the split of <c>text</c>).</summary>
    [Range(1, 100_000)]
    public int TrainingDocuments { get; set; } = 100;

    /// <summary>Tokens per training window (BOS included); 0 for the training context (<c>context</c>).</summary>
    [Range(0, 100_000)]
    public int WindowTokens { get; set; }
}

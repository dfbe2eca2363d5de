// Rotary position embedding scaling as Hugging Face configs declare it (rope_scaling / rope_parameters).
// References: Chen et al. 2023 (linear position interpolation, arXiv:2306.15595); dynamic NTK scaling
// (bloc97/emozilla, 2023, as in transformers' _compute_dynamic_ntk_parameters); Llama 3.1's frequency-dependent
// scaling (Meta 2024, as in transformers' _compute_llama3_parameters).
namespace TrajectoryLab.Torch.Models;

/// <summary>The supported rope_scaling types.</summary>
public enum RopeScalingKind
{
    /// <summary>Positions divided by <see cref="RopeScaling.Factor"/> (every frequency divided by it).</summary>
    Linear,

    /// <summary>Dynamic NTK: the base grows with the sequence length once it exceeds the original context.</summary>
    Dynamic,

    /// <summary>Llama 3.1: low frequencies divided by the factor, high ones kept, a smooth blend between.</summary>
    Llama3,
}

/// <summary>A rope_scaling block.</summary>
/// <param name="Kind">Which scaling.</param>
/// <param name="Factor">The scaling factor (&gt; 0; 1 changes nothing for linear and dynamic).</param>
/// <param name="LowFreqFactor">Llama 3 only: wavelengths above original_max / low_freq_factor are divided by the factor.</param>
/// <param name="HighFreqFactor">Llama 3 only: wavelengths below original_max / high_freq_factor are kept.</param>
/// <param name="OriginalMaxPositionEmbeddings">The context the model was trained on; for dynamic scaling,
/// max_position_embeddings when absent. Required for Llama 3.</param>
public sealed record RopeScaling(
    RopeScalingKind Kind,
    double Factor,
    double LowFreqFactor = 1.0,
    double HighFreqFactor = 4.0,
    int? OriginalMaxPositionEmbeddings = null
);

// The decoder families a ModelSpec can describe; everything that differs between them is chosen from this value
// (norm, positions, MLP, Hugging Face weight names). References: Radford et al. 2019 (GPT-2);
// Touvron et al. 2023 (Llama, arXiv:2302.13971).
namespace TrajectoryLab.Torch.Models;

/// <summary>The supported decoder families.</summary>
public enum ModelArchitecture
{
    /// <summary>Pre-RMSNorm blocks, rotary positions, SwiGLU MLP, grouped-query attention (llama, mistral, qwen2).</summary>
    Llama,

    /// <summary>Pre-LayerNorm blocks, learned positions, GELU (tanh) MLP, biases on every projection (gpt2).</summary>
    Gpt2,

    /// <summary>Pre-RMSNorm blocks with a selective state-space mixer and no attention, MLP or positions (mamba).</summary>
    Mamba,
}

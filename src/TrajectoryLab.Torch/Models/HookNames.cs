// The one name table of every architecture (Llama family, GPT-2, Mamba): hook points (TransformerLens names) and canonical
// parameter names. Module fields are named after these leaves, so TorchSharp's named_modules()/named_parameters() yield
// exactly these strings (tests check it). Reference: TransformerLens (HookedTransformer hook and weight names).
namespace TrajectoryLab.Torch.Models;

/// <summary>Names of activations that can be captured or changed at every forward step.</summary>
public static class HookNames
{
    /// <summary>Token embeddings, [batch, pos, d_model].</summary>
    public const string Embed = "hook_embed";

    /// <summary>Learned position embeddings (GPT-2 only), [batch, pos, d_model]; added to <see cref="Embed"/>.</summary>
    public const string PosEmbed = "hook_pos_embed";

    /// <summary>Final norm output before its weight (and bias), [batch, pos, d_model]; pos is 1 in a pass that runs the
    /// head at its last position only (<see cref="IsHeadHook"/>).</summary>
    public const string FinalNormalized = "ln_final.hook_normalized";

    /// <summary>Logits, [batch, pos, d_vocab]; pos is 1 in a pass that runs the head at its last position only.</summary>
    public const string Logits = "hook_logits";

    /// <summary>True for the hook points after the last block (<see cref="FinalNormalized"/>, <see cref="Logits"/>), which
    /// a generation prefill computes at the last prompt position only unless asked for all.</summary>
    public static bool IsHeadHook(string name) => name is FinalNormalized or Logits;

    /// <summary>Residual stream entering block <paramref name="layer"/>, [batch, pos, d_model].</summary>
    public static string ResidPre(int layer) => $"blocks.{layer}.hook_resid_pre";

    /// <summary>Residual stream after block <paramref name="layer"/>'s attention, [batch, pos, d_model].</summary>
    public static string ResidMid(int layer) => $"blocks.{layer}.hook_resid_mid";

    /// <summary>Residual stream leaving block <paramref name="layer"/>, [batch, pos, d_model].</summary>
    public static string ResidPost(int layer) => $"blocks.{layer}.hook_resid_post";

    /// <summary>Attention probabilities of block <paramref name="layer"/>, [batch, n_heads, query_pos, key_pos].</summary>
    /// <remarks>Hooking it makes that block compute attention explicitly instead of with fused SDPA (same result).</remarks>
    public static string AttnPattern(int layer) => $"blocks.{layer}.attn.hook_pattern";

    /// <summary>Attention output of block <paramref name="layer"/> (after W_O), [batch, pos, d_model].</summary>
    public static string AttnOut(int layer) => $"blocks.{layer}.hook_attn_out";

    /// <summary>MLP output of block <paramref name="layer"/>, [batch, pos, d_model].</summary>
    public static string MlpOut(int layer) => $"blocks.{layer}.hook_mlp_out";

    /// <summary>Block <paramref name="layer"/>'s MLP hidden activation after the nonlinearity, [batch, pos, d_mlp]: act(x W_gate)
    /// ⊙ x W_in for a gated MLP, gelu(x W_in + b_in) for GPT-2's: the coefficients that multiply the rows of W_out (the
    /// memory coefficients of Geva et al. 2021). TransformerLens' <c>blocks.{l}.mlp.hook_post</c>.</summary>
    public static string MlpPost(int layer) => $"blocks.{layer}.mlp.hook_post";

    /// <summary>Block <paramref name="layer"/>'s pre-attention norm output before its weight (and bias), [batch, pos, d_model].</summary>
    public static string Ln1Normalized(int layer) => $"blocks.{layer}.ln1.hook_normalized";

    /// <summary>Block <paramref name="layer"/>'s pre-MLP norm output before its weight (and bias), [batch, pos, d_model].</summary>
    public static string Ln2Normalized(int layer) => $"blocks.{layer}.ln2.hook_normalized";

    /// <summary>Block <paramref name="layer"/>'s post-attention norm output before its weight (sandwich and post-norm
    /// layouts), [batch, pos, d_model].</summary>
    public static string Ln1PostNormalized(int layer) => $"blocks.{layer}.ln1_post.hook_normalized";

    /// <summary>Block <paramref name="layer"/>'s post-MLP norm output before its weight (sandwich and post-norm layouts).</summary>
    public static string Ln2PostNormalized(int layer) => $"blocks.{layer}.ln2_post.hook_normalized";

    /// <summary>Block <paramref name="layer"/>'s normalised queries (q/k norm), [batch, pos, n_heads, d_head] per head or
    /// [batch, pos, n_heads · d_head] over the projection.</summary>
    public static string QNormalized(int layer) => $"blocks.{layer}.attn.q_norm.hook_normalized";

    /// <summary>Block <paramref name="layer"/>'s normalised keys (q/k norm).</summary>
    public static string KNormalized(int layer) => $"blocks.{layer}.attn.k_norm.hook_normalized";

    /// <summary>Mamba block <paramref name="layer"/>'s input projection x W_in (+ b_in), [batch, pos, 2·d_inner]: the SSM
    /// branch x (first d_inner features) and the gate z side by side.</summary>
    public static string MambaInProj(int layer) => $"blocks.{layer}.mixer.hook_in_proj";

    /// <summary>Mamba block <paramref name="layer"/>'s u = silu(causal depthwise conv(x)), the SSM's input, [batch, pos,
    /// d_inner].</summary>
    public static string MambaConv(int layer) => $"blocks.{layer}.mixer.hook_conv";

    /// <summary>Mamba block <paramref name="layer"/>'s step sizes Δ = softplus(u W_x[:, :R] W_dt + b_dt), [batch, pos,
    /// d_inner].</summary>
    public static string MambaDelta(int layer) => $"blocks.{layer}.mixer.hook_delta";

    /// <summary>Mamba block <paramref name="layer"/>'s input-dependent B (how u enters the state), [batch, pos, d_state].</summary>
    public static string MambaB(int layer) => $"blocks.{layer}.mixer.hook_B";

    /// <summary>Mamba block <paramref name="layer"/>'s input-dependent C (how the state is read out), [batch, pos, d_state].</summary>
    public static string MambaC(int layer) => $"blocks.{layer}.mixer.hook_C";

    /// <summary>Mamba block <paramref name="layer"/>'s selective state after each position, s_t = exp(Δ_t A) ⊙ s_{t−1} +
    /// Δ_t B_t u_t, [batch, pos, d_inner, d_state]: the fixed-size memory the block carries. A change a hook makes at
    /// position t is carried by the recurrence to the later positions of the pass and to the state kept for the next.</summary>
    public static string MambaSsmState(int layer) => $"blocks.{layer}.mixer.hook_ssm_state";

    /// <summary>Mamba block <paramref name="layer"/>'s SSM output y = C·s + D ⊙ u before the gate, [batch, pos, d_inner].</summary>
    public static string MambaY(int layer) => $"blocks.{layer}.mixer.hook_y";

    /// <summary>Mamba block <paramref name="layer"/>'s mixer output (y ⊙ silu(z)) W_out (+ b_out), added to the residual
    /// stream, [batch, pos, d_model].</summary>
    public static string MixerOut(int layer) => $"blocks.{layer}.hook_mixer_out";

    /// <summary>The hook points of Mamba block <paramref name="layer"/>, in forward order.</summary>
    public static IEnumerable<string> MambaBlock(int layer) =>
        [
            ResidPre(layer),
            Ln1Normalized(layer),
            MambaInProj(layer),
            MambaConv(layer),
            MambaB(layer),
            MambaC(layer),
            MambaDelta(layer),
            MambaSsmState(layer),
            MambaY(layer),
            MixerOut(layer),
            ResidPost(layer),
        ];

    /// <summary>Every hook point of a model of <paramref name="spec"/>, in forward order.</summary>
    public static IReadOnlyList<string> All(ModelSpec spec)
    {
        var design = spec.Block;
        if (design.Mixer == MixerKind.Mamba)
            return [Embed, .. Enumerable.Range(0, spec.NumLayers).SelectMany(MambaBlock), FinalNormalized, Logits];
        if (design.Mixer != MixerKind.Attention)
            throw new NotSupportedException($"the hook points of the {design.Mixer} mixer are not listed");
        var names = new List<string> { Embed };
        if (design.Positions == PositionKind.Learned)
            names.Add(PosEmbed);
        for (var l = 0; l < spec.NumLayers; l++)
        {
            var preNorms = design.Residual != ResidualLayout.PostNorm;
            var postNorms = design.Residual is ResidualLayout.Sandwich or ResidualLayout.PostNorm;
            names.Add(ResidPre(l));
            if (preNorms)
                names.Add(Ln1Normalized(l));
            if (design.QkNorm != QkNormKind.None)
                names.AddRange([QNormalized(l), KNormalized(l)]);
            names.Add(AttnPattern(l));
            if (postNorms)
                names.Add(Ln1PostNormalized(l));
            names.AddRange([AttnOut(l), ResidMid(l)]);
            if (preNorms)
                names.Add(Ln2Normalized(l));
            names.Add(MlpPost(l));
            if (postNorms)
                names.Add(Ln2PostNormalized(l));
            names.AddRange([MlpOut(l), ResidPost(l)]);
        }
        names.AddRange([FinalNormalized, Logits]);
        return names;
    }

    /// <summary>The hook points every architecture has, for a model with <paramref name="numLayers"/> blocks, in forward
    /// order: all of a Llama-family model's.</summary>
    public static IReadOnlyList<string> All(int numLayers) =>
        [
            Embed,
            .. Enumerable
                .Range(0, numLayers)
                .SelectMany(l =>
                    new[]
                    {
                        ResidPre(l),
                        Ln1Normalized(l),
                        AttnPattern(l),
                        AttnOut(l),
                        ResidMid(l),
                        Ln2Normalized(l),
                        MlpPost(l),
                        MlpOut(l),
                        ResidPost(l),
                    }
                ),
            FinalNormalized,
            Logits,
        ];
}

/// <summary>Canonical parameter names; weights are stored [in, out] so that activations multiply them on the right.</summary>
public static class ParameterNames
{
    /// <summary>Embedding matrix, [d_vocab, d_model].</summary>
    public const string EmbedW = "embed.W_E";

    /// <summary>Learned position embeddings (GPT-2), [n_ctx, d_model].</summary>
    public const string PosEmbedW = "pos_embed.W_pos";

    /// <summary>Final norm weight, [d_model].</summary>
    public const string FinalNormW = "ln_final.w";

    /// <summary>Final LayerNorm bias (GPT-2), [d_model].</summary>
    public const string FinalNormB = "ln_final.b";

    /// <summary>Unembedding (untied head), [d_model, d_vocab].</summary>
    public const string UnembedW = "unembed.W_U";

    /// <summary>Block parameter <paramref name="leaf"/> (e.g. <c>attn.W_QKV</c>) of block <paramref name="layer"/>.</summary>
    public static string Block(int layer, string leaf) => $"blocks.{layer}.{leaf}";

    /// <summary>Pre-attention norm weight, [d_model].</summary>
    public const string Ln1W = "ln1.w";

    /// <summary>Pre-attention LayerNorm bias (GPT-2), [d_model].</summary>
    public const string Ln1B = "ln1.b";

    /// <summary>Query, key and value weights side by side, [d_model, (n_heads + 2·n_kv_heads) · d_head]: columns
    /// [0, q) are W_Q, [q, q + kv) W_K and [q + kv, q + 2·kv) W_V, with q = n_heads·d_head and kv = n_kv_heads·d_head.
    /// One matrix, so that one product computes all three (docs/performance.md).</summary>
    public const string WQkv = "attn.W_QKV";

    /// <summary>Query, key and value biases side by side, [(n_heads + 2·n_kv_heads) · d_head].</summary>
    public const string BQkv = "attn.b_QKV";

    /// <summary>Output weight, [n_heads * d_head, d_model].</summary>
    public const string WO = "attn.W_O";

    /// <summary>Output bias, [d_model].</summary>
    public const string BO = "attn.b_O";

    /// <summary>Post-attention norm weight (sandwich and post-norm layouts), [d_model].</summary>
    public const string Ln1PostW = "ln1_post.w";

    /// <summary>Post-MLP norm weight (sandwich and post-norm layouts), [d_model].</summary>
    public const string Ln2PostW = "ln2_post.w";

    /// <summary>Query norm weight: [d_head] per head, or [n_heads · d_head] over the projection.</summary>
    public const string QNormW = "attn.q_norm.w";

    /// <summary>Key norm weight: [d_head] per head, or [n_kv_heads · d_head] over the projection.</summary>
    public const string KNormW = "attn.k_norm.w";

    /// <summary>Pre-MLP norm weight, [d_model].</summary>
    public const string Ln2W = "ln2.w";

    /// <summary>Pre-MLP LayerNorm bias (GPT-2), [d_model].</summary>
    public const string Ln2B = "ln2.b";

    /// <summary>SwiGLU gate and up weights side by side, [d_model, 2·d_mlp]: columns [0, d_mlp) are W_gate, the rest
    /// W_in (one product computes both).</summary>
    public const string WGateIn = "mlp.W_gate_in";

    /// <summary>GPT-2's first MLP weight, [d_model, d_mlp].</summary>
    public const string WIn = "mlp.W_in";

    /// <summary>GPT-2's first MLP bias, [d_mlp].</summary>
    public const string BIn = "mlp.b_in";

    /// <summary>MLP down (output) weight, [d_mlp, d_model].</summary>
    public const string WOut = "mlp.W_out";

    /// <summary>GPT-2's MLP output bias, [d_model].</summary>
    public const string BOut = "mlp.b_out";

    /// <summary>Mamba's input projection, [d_model, 2·d_inner]: columns [0, d_inner) feed the SSM branch x, the rest the
    /// gate z (HF in_proj, transposed).</summary>
    public const string MambaWIn = "mixer.W_in";

    /// <summary>Mamba's input projection bias (use_bias), [2·d_inner].</summary>
    public const string MambaBIn = "mixer.b_in";

    /// <summary>Mamba's depthwise causal convolution, [d_inner, 1, d_conv] as HF's conv1d stores it: tap d_conv − 1
    /// multiplies the current position, tap 0 the position d_conv − 1 steps back.</summary>
    public const string MambaWConv = "mixer.W_conv";

    /// <summary>Mamba's convolution bias (use_conv_bias), [d_inner].</summary>
    public const string MambaBConv = "mixer.b_conv";

    /// <summary>Mamba's selection projection, [d_inner, dt_rank + 2·d_state]: columns Δ (low rank) | B | C (HF x_proj,
    /// transposed).</summary>
    public const string MambaWX = "mixer.W_x";

    /// <summary>Mamba's Δ up-projection, [dt_rank, d_inner] (HF dt_proj, transposed).</summary>
    public const string MambaWDt = "mixer.W_dt";

    /// <summary>Mamba's Δ bias, [d_inner] (softplus⁻¹ of the initial step sizes).</summary>
    public const string MambaBDt = "mixer.b_dt";

    /// <summary>Mamba's log(−A), [d_inner, d_state]: A = −exp(A_log), one real diagonal per channel.</summary>
    public const string MambaALog = "mixer.A_log";

    /// <summary>Mamba's skip gain D, [d_inner].</summary>
    public const string MambaD = "mixer.D";

    /// <summary>Mamba's output projection, [d_inner, d_model] (HF out_proj, transposed).</summary>
    public const string MambaWOut = "mixer.W_out";

    /// <summary>Mamba's output projection bias (use_bias), [d_model].</summary>
    public const string MambaBOut = "mixer.b_out";
}

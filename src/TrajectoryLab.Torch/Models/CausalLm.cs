// The contract every architecture implements (docs/architectures.md): logits = model(tokens, state, startPos), a factory
// of the generation map's state (attention caches, sliding-window caches, Mamba's recurrent state), and hook points
// under the canonical TransformerLens names. Generation, sampling, hooks-at-every-step and the dynamical-system wrappers
// are written once against this class.
using TorchSharp;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>A causal language model with a state of the generation map and named hook points.</summary>
internal abstract class CausalLm(string name) : Module<Tensor, ModelState?, long, Tensor>(name)
{
    /// <summary>The architecture.</summary>
    public abstract ModelSpec Spec { get; }

    /// <summary>The dtype of every weight and activation.</summary>
    public abstract ScalarType DType { get; }

    /// <summary>The device the weights live on.</summary>
    public abstract Device Device { get; }

    /// <summary>Which keys full-attention layers keep (every forward pass, with or without a state, and every state made
    /// after it is set), or null for all; <see cref="Generation.LanguageModel.Cache"/> checks it against the model.</summary>
    public Generation.CachePolicy? Cache { get; set; }

    /// <summary>A model of <paramref name="spec"/>'s architecture with uninitialised weights in <paramref name="dtype"/>.</summary>
    /// <exception cref="ArgumentException">The spec is not buildable (<see cref="ModelSpec.FindProblem"/>).</exception>
    public static CausalLm Create(ModelSpec spec, ScalarType dtype = ScalarType.Float32) => new DecoderModel(spec, dtype);

    /// <summary>The forward pass with the final norm and head run at every position or only at the last one.</summary>
    /// <param name="tokens">[batch, pos] int64 token ids at columns startPos … startPos + pos - 1 (positions in an unpadded
    /// state; a left-padded one shifts each row's, see <see cref="NewState(long, long, IReadOnlyList{long}?)"/>).</param>
    /// <param name="cache">Keys/values of positions before startPos (written with the new ones), or null for a pass from position 0 without
    /// a cache.</param>
    /// <param name="startPos">Column of the first token; 0 without a cache.</param>
    /// <param name="lastPositionOnly">Run ln_final and the head (and their hook points) at the last position only.</param>
    /// <param name="headRows">Run ln_final and the head for the first this many rows only (a perturbed batch whose other rows
    /// need only their residual streams), or null for every row.</param>
    /// <returns>[batch, pos, d_vocab] logits, or [batch, 1, d_vocab] with <paramref name="lastPositionOnly"/>; headRows rows
    /// instead of batch when given.</returns>
    public abstract Tensor Forward(Tensor tokens, ModelState? cache, long startPos, bool lastPositionOnly, long? headRows = null);

    /// <summary>The head the last block's output goes through: final norm, unembedding (and a final soft cap), without the
    /// hook_logits point. Applied to an earlier residual site it is the logit lens (nostalgebraist 2020).</summary>
    /// <param name="x">[batch, pos, d_model] a residual stream.</param>
    /// <returns>[batch, pos, d_vocab] logits.</returns>
    internal abstract Tensor Head(Tensor x);

    /// <summary>The residual stream after <paramref name="toSite"/> blocks given it after <paramref name="fromSite"/>
    /// blocks, over positions 0 … pos − 1 without a cache (the depth map).</summary>
    /// <param name="h">[batch, pos, d_model]</param>
    /// <param name="fromSite">Blocks already applied.</param>
    /// <param name="toSite">Blocks applied at the end.</param>
    /// <returns>[batch, pos, d_model]</returns>
    internal abstract Tensor ResidualMap(Tensor h, int fromSite, int toSite);

    /// <summary>The state of the generation map (every layer's cache or recurrent state) for <paramref name="batch"/>
    /// sequences of up to <paramref name="capacity"/> columns, in this model's dtype and device.</summary>
    /// <param name="batch">Rows.</param>
    /// <param name="capacity">Columns each row can hold, its padding included.</param>
    /// <param name="leftPad">[batch] pad columns before each row's first token (docs/padding.md), or null for none: row b
    /// then reads column c as its position c − leftPad[b], and its logits equal those of the row run alone.</param>
    /// <exception cref="ArgumentOutOfRangeException">A nonpositive size, or pads that do not fit (see <see
    /// cref="ModelState(long, long, IEnumerable{ILayerState}, IReadOnlyList{long}?, Device?)"/>).</exception>
    public abstract ModelState NewState(long batch, long capacity, IReadOnlyList<long>? leftPad = null);

    /// <summary>The public NewState, or with <paramref name="keepAll"/> a state whose
    /// sliding-window layers keep every column instead of the last ones their queries can see (same logits; for tests
    /// that compare the two).</summary>
    internal abstract ModelState NewState(long batch, long capacity, IReadOnlyList<long>? leftPad, bool keepAll);

    /// <summary>The hook point registered under <paramref name="hookName"/> (a <see cref="HookNames"/> name).</summary>
    /// <exception cref="ArgumentException">No hook point has that name; the message lists the valid ones.</exception>
    public HookPoint Hook(string hookName)
    {
        foreach (var (n, m) in named_modules())
            if (n == hookName && m is HookPoint h)
                return h;
        throw new ArgumentException($"no hook point '{hookName}'; valid: {string.Join(", ", HookNames.All(Spec))}", nameof(hookName));
    }

    /// <summary>Fills the weights with N(0, <paramref name="std"/>²) draws from a generator seeded with <paramref name="seed"/>,
    /// norm gains with 1 and biases with 0 (GPT-2/Llama-style initialisation); a Mamba mixer's A_log, D and Δ bias as
    /// Mamba initialises them (<see cref="MambaMixer.TryInitialize"/>).</summary>
    public void InitializeRandom(long seed, double std = 0.02)
    {
        using var noGrad = no_grad();
        using var generator = new Generator((ulong)seed);
        foreach (var (name, p) in named_parameters())
        {
            var leaf = name[(name.LastIndexOf('.') + 1)..];
            if (MambaMixer.TryInitialize(leaf, p, generator))
                continue; // Mamba's A_log, D and Δ bias are set by rule, not drawn
            if (leaf == "w")
                p.fill_(Spec.Block.Norm == NormKind.RmsOffset ? 0.0 : 1.0); // a norm's gain of 1 (Gemma stores it as 1 + w)
            else if (leaf == "b" || leaf.StartsWith("b_", StringComparison.Ordinal))
                p.zero_();
            else
                p.normal_(0, std, generator);
        }
    }
}

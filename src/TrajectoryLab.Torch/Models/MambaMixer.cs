// Mamba-1's selective state-space mixer (Gu & Dao 2023, arXiv:2312.00752, §3 and Algorithm 2), as transformers'
// MambaMixer.slow_forward computes it:
//   [x | z] = h W_in (+ b_in)                       the SSM branch and the gate
//   u = silu(causal depthwise conv_{d_conv}(x) + b)  over the window of earlier inputs the state keeps
//   [δ | B | C] = u W_x,  Δ = softplus(δ W_dt + b_dt),  A = −exp(A_log)
//   s_t = exp(Δ_t A) ⊙ s_{t−1} + Δ_t B_t u_t        (zero-order hold for A, Euler for B: the paper's discretisation)
//   y_t = C_t · s_t + D ⊙ u_t,  out = (y ⊙ silu(z)) W_out (+ b_out)
// The scan is a plain loop over positions, vectorised over batch, channels and state, in float32; each step runs in
// its own dispose scope so that a long prompt keeps one step's temporaries, not all of them. On the CPU, a model in
// training mode (train-lm) runs the whole scan as one kernel with its own backward pass instead, and a prompt read
// without gradients (a prefill) runs that kernel's forward pass (SelectiveScan.cs); a decoding step (one position) and
// every pass that records gradients for a tangent map keep the loop. Every op of the loop is out of place
// and twice differentiable (the depth map's double-VJP runs through it). Weights are stored [in, out] like every
// projection of the model; the convolution keeps HF's [d_inner, 1, d_conv].
// Left padding (docs/padding.md): a pad column must leave the state exactly as it was. Its conv input x is set to 0, so
// the window holds zeros as the empty state's does, and its Δ to 0, so that exp(ΔA) = 1 and ΔB·u = 0 (B is finite) make
// the selective update the identity, bit for bit; the pad columns precede every token of their row, so the row's first
// token reads exactly the empty state.
using TorchSharp;
using TorchSharp.Modules;
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>The mixer of a Mamba block, with hook points on its projections, convolution, Δ, B, C, state and output.</summary>
internal sealed class MambaMixer : Module<Tensor, StepContext, Tensor>
{
    // Field names are the canonical names (HookNames.cs): RegisterComponents registers them as written.
    private readonly Parameter W_in; // [d_model, 2·d_inner]: x | z
    private readonly Parameter? b_in; // [2·d_inner]
    private readonly Parameter W_conv; // [d_inner, 1, d_conv]
    private readonly Parameter? b_conv; // [d_inner]
    private readonly Parameter W_x; // [d_inner, dt_rank + 2·d_state]: δ | B | C
    private readonly Parameter W_dt; // [dt_rank, d_inner]
    private readonly Parameter b_dt; // [d_inner]
    private readonly Parameter A_log; // [d_inner, d_state]
    private readonly Parameter D; // [d_inner]
    private readonly Parameter W_out; // [d_inner, d_model]
    private readonly Parameter? b_out; // [d_model]
    private readonly HookPoint hook_in_proj;
    private readonly HookPoint hook_conv;
    private readonly HookPoint hook_B;
    private readonly HookPoint hook_C;
    private readonly HookPoint hook_delta;
    private readonly HookPoint hook_ssm_state;
    private readonly HookPoint hook_y;
    private readonly int _layer;
    private readonly int _inner; // d_inner
    private readonly int _stateSize; // d_state, N
    private readonly int _kernel; // d_conv
    private readonly int _rank; // dt_rank

    /// <summary>Builds the mixer of block <paramref name="layer"/> with uninitialised weights and zero biases.</summary>
    public MambaMixer(ModelSpec spec, int layer, ScalarType dtype)
        : base(nameof(MambaMixer))
    {
        var design = spec.Block.Mamba ?? throw new ArgumentException("a Mamba block needs the design's Mamba sizes", nameof(spec));
        int d = spec.HiddenSize,
            inner = spec.IntermediateSize;
        (_layer, _inner, _stateSize, _kernel, _rank) = (layer, inner, design.StateSize, design.ConvKernel, design.TimeStepRank);
        W_in = new Parameter(empty(d, 2L * inner, dtype));
        W_conv = new Parameter(empty(inner, 1, _kernel, dtype));
        W_x = new Parameter(empty(inner, _rank + 2L * _stateSize, dtype));
        W_dt = new Parameter(empty(_rank, inner, dtype));
        b_dt = new Parameter(zeros(inner, dtype));
        A_log = new Parameter(empty(inner, _stateSize, dtype));
        D = new Parameter(ones(inner, dtype));
        W_out = new Parameter(empty(inner, d, dtype));
        if (design.ProjectionBias)
        {
            b_in = new Parameter(zeros(2L * inner, dtype));
            b_out = new Parameter(zeros(d, dtype));
        }
        if (design.ConvBias)
            b_conv = new Parameter(zeros(inner, dtype));
        hook_in_proj = new HookPoint();
        hook_conv = new HookPoint();
        hook_B = new HookPoint();
        hook_C = new HookPoint();
        hook_delta = new HookPoint();
        hook_ssm_state = new HookPoint();
        hook_y = new HookPoint();
        RegisterComponents();
    }

    /// <summary>A new empty state for this mixer.</summary>
    public MambaState NewState(long batch, ScalarType dtype, Device device) => new(batch, _inner, _stateSize, _kernel, dtype, device);

    /// <param name="h">[batch, pos, d_model], already normalised.</param>
    /// <param name="step">Positions and the state: with a state the pass continues from it and leaves its own end state
    /// there; without one it starts from the empty state.</param>
    /// <returns>[batch, pos, d_model]</returns>
    public override Tensor forward(Tensor h, StepContext step)
    {
        long batch = h.shape[0],
            pos = h.shape[1];
        var dtype = h.dtype;
        var state = step.State?.Layer<MambaState>(_layer);
        var (window, ssm) = state?.Read(step.StartPos)
            ?? (zeros([batch, _kernel - 1, _inner], dtype, h.device), zeros([batch, _inner, _stateSize], ScalarType.Float32, h.device));

        var projected = hook_in_proj.Apply(Project(h, W_in, b_in)); // [batch, pos, 2·d_inner]
        var x = projected.narrow(-1, 0, _inner); // [batch, pos, d_inner]
        var pad = step.Real?.logical_not().unsqueeze(-1); // [batch, pos, 1], true at pad columns; null without any
        if (pad is not null)
            x = x.masked_fill(pad, 0); // a pad column enters the window as the zeros of the empty state
        var z = projected.narrow(-1, _inner, _inner); // [batch, pos, d_inner]

        // Causal depthwise convolution over [window | x]: out_t = Σ_j w_j · full_{t + j}, tap d_conv − 1 on x_t itself.
        var full = cat([window, x], 1); // [batch, d_conv − 1 + pos, d_inner]
        var taps = W_conv.squeeze(1).t(); // [d_conv, d_inner]
        Tensor? conv = null; // [batch, pos, d_inner]
        for (var j = 0; j < _kernel; j++)
        {
            var term = full.narrow(1, j, pos).mul(taps[j]); // [batch, pos, d_inner]
            conv = conv is null ? term : conv.add(term, KeptScalars.One);
        }
        if (b_conv is not null)
            conv = conv!.add(b_conv, KeptScalars.One);
        var u = hook_conv.Apply(functional.silu(conv!)); // [batch, pos, d_inner]

        var selection = WeightProduct.Apply(u, W_x); // [batch, pos, dt_rank + 2·d_state]
        var b = hook_B.Apply(selection.narrow(-1, _rank, _stateSize)); // [batch, pos, d_state]
        var c = hook_C.Apply(selection.narrow(-1, _rank + _stateSize, _stateSize)); // [batch, pos, d_state]
        var raw = WeightProduct.Apply(selection.narrow(-1, 0, _rank), W_dt).add(b_dt, KeptScalars.One); // [batch, pos, d_inner]
        var delta = hook_delta.Apply(Softplus(raw)); // [batch, pos, d_inner]
        if (pad is not null)
            delta = delta.masked_fill(pad, 0); // Δ = 0: exp(ΔA) = 1 and ΔB·u = 0, so a pad column leaves s as it was

        // [batch, pos, d_inner], [batch, d_inner, d_state]: training runs one kernel, a prefill its forward pass, the rest the loop
        var kernel = h.device_type == DeviceType.CPU && !hook_ssm_state.HasHooks;
        var (u32, delta32, b32, c32) = (F32(u), F32(delta), F32(b), F32(c));
        var (scanned, last) =
            kernel && training && state is null ? (SelectiveScanFunction.apply(u32, delta32, b32, c32, NegativeA(), ssm), ssm)
            : kernel && pos > 1 && !is_grad_enabled() ? SelectiveScanFunction.Inference(u32, delta32, b32, c32, NegativeA(), ssm)
            : Scan(u32, delta32, b32, c32, ssm);
        var y = hook_y.Apply(scanned.to_type(dtype).add(u.mul(D), KeptScalars.One)); // [batch, pos, d_inner]
        state?.Write(step.Length, full.narrow(1, pos, _kernel - 1), last);
        var gated = y.mul(functional.silu(z)); // [batch, pos, d_inner]
        return Project(gated, W_out, b_out); // [batch, pos, d_model]
    }

    /// <summary>The selective scan from <paramref name="initial"/>: C_t · s_t at every position and the last state.</summary>
    /// <param name="u">[batch, pos, d_inner] float32</param>
    /// <param name="delta">[batch, pos, d_inner] float32</param>
    /// <param name="b">[batch, pos, d_state] float32</param>
    /// <param name="c">[batch, pos, d_state] float32</param>
    /// <param name="initial">[batch, d_inner, d_state] float32, read only.</param>
    /// <returns>[batch, pos, d_inner] and [batch, d_inner, d_state], float32.</returns>
    private (Tensor Readout, Tensor Last) Scan(Tensor u, Tensor delta, Tensor b, Tensor c, Tensor initial)
    {
        var pos = u.shape[1];
        var a = NegativeA(); // [d_inner, d_state]
        var deltaU = delta.mul(u); // [batch, pos, d_inner]
        var keep = hook_ssm_state.HasHooks;
        var states = keep ? new Tensor[pos] : null; // [batch, d_inner, d_state] each
        var readout = new Tensor[pos]; // [batch, d_inner] each
        var s = initial;
        for (var t = 0; t < pos; t++)
        {
            using var scope = NewDisposeScope();
            var next = Decay(delta, a, t).mul(s).add(Input(deltaU, b, t), KeptScalars.One); // [batch, d_inner, d_state]
            readout[t] = next.matmul(c.select(1, t).unsqueeze(-1)).squeeze(-1).MoveToOuterDisposeScope(); // [batch, d_inner]
            if (t > 0 && !keep)
                s.Dispose(); // the previous step's state, no longer needed
            s = next.MoveToOuterDisposeScope();
            if (states is not null)
                states[t] = s;
        }
        if (states is null)
            return (Stacked(readout), s);

        // A hook may read or change the states. The recurrence is linear in s given Δ, B and u, so a change e_t at position
        // t reaches the later ones as e_{t+1} = exp(Δ_{t+1} A) ⊙ e_t: carried forward, the pass computes what it would have
        // computed had the changed state been the recurrence's own.
        var stacked = stack(states, 1); // [batch, pos, d_inner, d_state]
        foreach (var state in states)
            state.Dispose();
        var hooked = hook_ssm_state.Apply(stacked).to_type(ScalarType.Float32); // [batch, pos, d_inner, d_state]
        var change = hooked.sub(stacked); // [batch, pos, d_inner, d_state]
        if (change.any().item<bool>())
        {
            var carried = new Tensor[pos];
            var e = change.select(1, 0); // [batch, d_inner, d_state]
            carried[0] = e;
            for (var t = 1; t < pos; t++)
                carried[t] = e = Decay(delta, a, t).mul(e).add(change.select(1, t), KeptScalars.One);
            hooked = stacked.add(stack(carried, 1), KeptScalars.One);
        }
        foreach (var r in readout)
            r.Dispose();
        var read = hooked.matmul(c.unsqueeze(-1)).squeeze(-1); // [batch, pos, d_inner]
        return (read, hooked.select(1, pos - 1));
    }

    /// <summary>A = −exp(A_log), [d_inner, d_state] float32.</summary>
    private Tensor NegativeA() => A_log.to_type(ScalarType.Float32).exp().neg();

    /// <summary>exp(Δ_t A), [batch, d_inner, d_state].</summary>
    private static Tensor Decay(Tensor delta, Tensor a, long t) => delta.select(1, t).unsqueeze(-1).mul(a).exp();

    /// <summary>Δ_t u_t B_t, [batch, d_inner, d_state].</summary>
    private static Tensor Input(Tensor deltaU, Tensor b, long t) => deltaU.select(1, t).unsqueeze(-1).mul(b.select(1, t).unsqueeze(1));

    /// <summary>[pos] tensors [batch, d_inner] → [batch, pos, d_inner]; frees the parts.</summary>
    private static Tensor Stacked(Tensor[] parts)
    {
        var whole = stack(parts, 1);
        foreach (var p in parts)
            p.Dispose();
        return whole;
    }

    /// <summary>softplus(x) = log(1 + eˣ), as max(x, 0) + log1p(e^{−|x|}) (no overflow, no threshold, no Scalar).</summary>
    private static Tensor Softplus(Tensor x) => x.relu().add(x.abs().neg().exp().log1p(), KeptScalars.One);

    /// <summary>x in float32 (itself when it is).</summary>
    private static Tensor F32(Tensor x) => x.dtype == ScalarType.Float32 ? x : x.to_type(ScalarType.Float32);

    /// <summary>x W (+ b).</summary>
    private static Tensor Project(Tensor x, Tensor w, Tensor? b) =>
        b is null ? WeightProduct.Apply(x, w) : WeightProduct.Apply(x, w).add(b, KeptScalars.One);

    /// <summary>Sets the weights Mamba initialises by its own rules (Gu &amp; Dao 2023 §3.6, transformers' _init_weights):
    /// A_log = log(1 … d_state) in every channel (S4D-real), D = 1, b_dt = softplus⁻¹(Δ₀) with Δ₀ log-uniform in
    /// [1e-3, 1e-1], and the convolution uniform in ±1/√d_conv; false for any other parameter.</summary>
    /// <param name="leaf">The parameter's last name part.</param>
    /// <param name="p">The parameter.</param>
    /// <param name="generator">The draws' generator.</param>
    internal static bool TryInitialize(string leaf, Tensor p, Generator generator)
    {
        switch (leaf)
        {
            case "A_log":
                p.copy_(arange(1, p.shape[1] + 1, ScalarType.Float64).log().expand(p.shape));
                return true;
            case "D":
                p.fill_(1.0);
                return true;
            case "W_conv":
                using (var scope = NewDisposeScope())
                {
                    using Scalar bound = 1 / Math.Sqrt(p.shape[2]),
                        width = 2 / Math.Sqrt(p.shape[2]);
                    // U(−1/√d_conv, 1/√d_conv), as PyTorch's Conv1d initialises a depthwise kernel
                    p.copy_(rand(p.shape, ScalarType.Float64, generator: generator).mul(width).sub(bound));
                }
                return true;
            case "b_dt":
                using (var scope = NewDisposeScope())
                {
                    using Scalar low = Math.Log(1e-3),
                        span = Math.Log(1e-1) - Math.Log(1e-3);
                    var dt = rand(p.shape, ScalarType.Float64, generator: generator).mul(span).add(low, KeptScalars.One).exp(); // [d_inner]
                    p.copy_(dt.add(dt.neg().expm1().neg().log(), KeptScalars.One)); // softplus⁻¹(Δ) = Δ + log(1 − e^{−Δ})
                }
                return true;
            default:
                return false;
        }
    }
}

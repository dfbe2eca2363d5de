// Mamba-1's selective scan as one CPU kernel with a hand-written backward pass, for training (Gu & Dao 2023,
// arXiv:2312.00752, §3.3 "hardware-aware algorithm": the states are recomputed in the backward pass instead of stored).
//   s_t = exp(Δ_t A) ⊙ s_{t−1} + (Δ_t u_t) B_t,   y_t = s_t C_t          per batch row, channel d: s_t[d] ∈ ℝ^N
// Backward, with g_t = ∂L/∂s_t (everything reaching s_t: its readout and the next state):
//   g_t = ∂L/∂y_t ⊗ C_t + exp(Δ_{t+1} A) ⊙ g_{t+1}
//   ∂L/∂C_t = Σ_d ∂L/∂y_t[d] s_t[d],   ∂L/∂B_t = Σ_d Δ_t u_t[d] g_t[d],   ∂L/∂u_t[d] = Δ_t[d] (g_t[d] · B_t)
//   ∂L/∂Δ_t[d] = u_t[d] (g_t[d] · B_t) + Σ_n g_t[d,n] s_{t−1}[d,n] exp(Δ_t A)[d,n] A[d,n]
//   ∂L/∂A[d,n] = Σ_{b,t} g_t[d,n] s_{t−1}[d,n] exp(Δ_t A)[d,n] Δ_t[d],   ∂L/∂s_0 = exp(Δ_1 A) ⊙ g_1
// The loop over positions made of libtorch ops costs ~10 native calls per position and layer, each recorded for autograd;
// a 12-layer Mamba then trained at 26 s per step of 16 × 256 tokens. Here one call does the whole scan. It is used only
// by a model in training mode with no state and no hook on the SSM state (MambaMixer decides): it is differentiable once,
// so the depth map's double-VJP, which runs on a model loaded for inference (eval mode), keeps the libtorch loop.
// The forward pass runs units of (batch row, 32 channels) on the kernel workers, the backward pass batch rows in parallel;
// every sum runs in a fixed order (∂L/∂A per row, then rows in order), so the result does
// not depend on the thread schedule and a training run stays bit-reproducible.
using System.Numerics;
using System.Runtime.CompilerServices;
using System.Runtime.InteropServices;
using System.Runtime.Intrinsics;
using static TorchSharp.torch;
using TensorPrimitives = System.Numerics.Tensors.TensorPrimitives;

namespace TrajectoryLab.Torch.Models;

/// <summary>The selective scan's readout y_t = C_t · s_t as an autograd function with the backward pass above.</summary>
internal sealed class SelectiveScanFunction : autograd.SingleTensorFunction<SelectiveScanFunction>
{
    /// <inheritdoc/>
    public override string Name => "SelectiveScan";

    /// <summary>Runs the scan: vars are u, Δ [batch, pos, d_inner], B, C [batch, pos, d_state], A [d_inner, d_state] and the
    /// initial state [batch, d_inner, d_state], all float32 on the CPU.</summary>
    /// <returns>[batch, pos, d_inner]</returns>
    public override Tensor forward(autograd.AutogradContext ctx, params object[] vars)
    {
        var (u, delta, b, c, a, initial) = (
            (Tensor)vars[0],
            (Tensor)vars[1],
            (Tensor)vars[2],
            (Tensor)vars[3],
            (Tensor)vars[4],
            (Tensor)vars[5]
        );
        ctx.save_for_backward([u, delta, b, c, a, initial]);
        var shape = SelectiveScanKernel.Shape.Of(u, b);
        var y = SelectiveScanKernel.Forward(shape, Floats(u), Floats(delta), Floats(b), Floats(c), Floats(a), Floats(initial));
        return tensor(y, [shape.Batch, shape.Positions, shape.Inner], ScalarType.Float32); // [batch, pos, d_inner]
    }

    /// <summary>The scan without autograd (inference): the readout and the last state.</summary>
    /// <param name="u">[batch, pos, d_inner]</param>
    /// <param name="delta">[batch, pos, d_inner]</param>
    /// <param name="b">[batch, pos, d_state]</param>
    /// <param name="c">[batch, pos, d_state]</param>
    /// <param name="a">[d_inner, d_state]</param>
    /// <param name="initial">[batch, d_inner, d_state]</param>
    /// <returns>[batch, pos, d_inner] and [batch, d_inner, d_state], float32.</returns>
    public static (Tensor Readout, Tensor Last) Inference(Tensor u, Tensor delta, Tensor b, Tensor c, Tensor a, Tensor initial)
    {
        var shape = SelectiveScanKernel.Shape.Of(u, b);
        var last = new float[shape.Batch * shape.Inner * shape.State];
        var y = SelectiveScanKernel.Forward(shape, Floats(u), Floats(delta), Floats(b), Floats(c), Floats(a), Floats(initial), last);
        return (
            tensor(y, [shape.Batch, shape.Positions, shape.Inner], ScalarType.Float32),
            tensor(last, [shape.Batch, shape.Inner, shape.State], ScalarType.Float32)
        );
    }

    /// <summary>The gradients of u, Δ, B, C, A and the initial state, in that order.</summary>
    public override List<Tensor> backward(autograd.AutogradContext ctx, Tensor grad_output)
    {
        var saved = ctx.get_saved_variables();
        var (u, delta, b, c, a, initial) = (saved[0], saved[1], saved[2], saved[3], saved[4], saved[5]);
        var shape = SelectiveScanKernel.Shape.Of(u, b);
        var g = SelectiveScanKernel.Backward(
            shape,
            Floats(u),
            Floats(delta),
            Floats(b),
            Floats(c),
            Floats(a),
            Floats(initial),
            Floats(grad_output)
        );
        long[] rows = [shape.Batch, shape.Positions, shape.Inner],
            selection = [shape.Batch, shape.Positions, shape.State];
        return
        [
            tensor(g.U, rows, ScalarType.Float32),
            tensor(g.Delta, rows, ScalarType.Float32),
            tensor(g.B, selection, ScalarType.Float32),
            tensor(g.C, selection, ScalarType.Float32),
            tensor(g.A, [shape.Inner, shape.State], ScalarType.Float32),
            tensor(g.Initial, [shape.Batch, shape.Inner, shape.State], ScalarType.Float32),
        ];
    }

    /// <summary>A copy of a float32 CPU tensor's elements, row-major (one block copy: the accessor's ToArray walks them one by
    /// one, 18 ms for 2M floats).</summary>
    private static float[] Floats(Tensor t)
    {
        using var dense = t.detach().to_type(ScalarType.Float32).contiguous();
        return MemoryMarshal.Cast<byte, float>(dense.bytes).ToArray();
    }
}

/// <summary>The scan's arithmetic on flat row-major arrays (no tensors), forward and backward.</summary>
internal static class SelectiveScanKernel
{
    private const int ChannelsPerUnit = 32; // channels of one unit of the forward scan's work

    /// <summary>Sizes of one scan.</summary>
    /// <param name="Batch">Batch rows.</param>
    /// <param name="Positions">Positions.</param>
    /// <param name="Inner">d_inner, the channels.</param>
    /// <param name="State">d_state, N.</param>
    internal readonly record struct Shape(int Batch, int Positions, int Inner, int State)
    {
        /// <summary>The sizes of u [batch, pos, d_inner] and B [batch, pos, d_state].</summary>
        public static Shape Of(Tensor u, Tensor b) => new((int)u.shape[0], (int)u.shape[1], (int)u.shape[2], (int)b.shape[2]);
    }

    /// <summary>The gradients of a scan's inputs, shaped like them.</summary>
    internal sealed record Gradients(float[] U, float[] Delta, float[] B, float[] C, float[] A, float[] Initial);

    /// <summary>y_t[d] = C_t · s_t[d] for every row and position.</summary>
    /// <param name="shape">Sizes.</param>
    /// <param name="u">[batch, pos, d_inner]</param>
    /// <param name="delta">[batch, pos, d_inner]</param>
    /// <param name="b">[batch, pos, d_state]</param>
    /// <param name="c">[batch, pos, d_state]</param>
    /// <param name="a">[d_inner, d_state]</param>
    /// <param name="initial">[batch, d_inner, d_state]</param>
    /// <param name="last">Receives the last state, [batch, d_inner, d_state]; null when not wanted.</param>
    /// <param name="registers">Whether d_state = 16 takes the register form (<see cref="Sixteen"/>); a test turns it off
    /// to see the same bits from the general form.</param>
    /// <returns>[batch, pos, d_inner]</returns>
    public static float[] Forward(
        Shape shape,
        float[] u,
        float[] delta,
        float[] b,
        float[] c,
        float[] a,
        float[] initial,
        float[]? last = null,
        bool registers = true
    )
    {
        var (batch, pos, inner, n) = (shape.Batch, shape.Positions, shape.Inner, shape.State);
        var y = new float[batch * pos * inner];
        // Each channel's state evolves on its own, so units of (row, 32 channels) run on the kernel workers: at batch 1
        // (a prefill) both cores work, where one thread per row left the second idle. Per channel the arithmetic is the
        // same whichever unit or thread runs it.
        int chunks = (inner + ChannelsPerUnit - 1) / ChannelsPerUnit,
            units = batch * chunks,
            next = -1;
        Kernels.KernelWorkers.Run(Math.Min(units, TorchSharp.torch.get_num_threads()), _ =>
        {
            var s = new float[ChannelsPerUnit * n]; // [channels, d_state]
            var decay = new float[ChannelsPerUnit * n]; // [channels, d_state]
            for (int unit; (unit = Interlocked.Increment(ref next)) < units; )
            {
                int row = unit / chunks,
                    first = unit % chunks * ChannelsPerUnit,
                    count = Math.Min(ChannelsPerUnit, inner - first);
                var state = s.AsSpan(0, count * n);
                initial.AsSpan((row * inner + first) * n, count * n).CopyTo(state);
                if (registers && n == Sixteen.Lanes && Sixteen.Applies)
                    Sixteen.Scan(state, a.AsSpan(first * n, count * n), delta, u, b, c, y, (row * pos, pos), (inner, first, count));
                else
                    for (var t = 0; t < pos; t++)
                    {
                        int at = (row * pos + t) * inner + first,
                            atN = (row * pos + t) * n;
                        Step(
                            state,
                            decay.AsSpan(0, count * n),
                            a.AsSpan(first * n, count * n),
                            delta.AsSpan(at, count),
                            u.AsSpan(at, count),
                            b.AsSpan(atN, n),
                            n
                        );
                        var ct = c.AsSpan(atN, n);
                        for (var d = 0; d < count; d++)
                            y[at + d] = Lanes.Dot(ct, state.Slice(d * n, n));
                    }
                if (last is not null)
                    state.CopyTo(last.AsSpan((row * inner + first) * n, count * n));
            }
        });
        return y;
    }

    /// <summary>The gradients of the inputs given ∂L/∂y (<paramref name="gy"/>, [batch, pos, d_inner]); the other parameters
    /// are those of <see cref="Forward"/>. The states are recomputed, one row at a time.</summary>
    public static Gradients Backward(Shape shape, float[] u, float[] delta, float[] b, float[] c, float[] a, float[] initial, float[] gy)
    {
        var (batch, pos, inner, n) = (shape.Batch, shape.Positions, shape.Inner, shape.State);
        int width = inner * n;
        var g = new Gradients(
            new float[u.Length],
            new float[delta.Length],
            new float[b.Length],
            new float[c.Length],
            new float[a.Length],
            new float[initial.Length]
        );
        var gaRows = new float[batch][]; // ∂L/∂A of each row, summed in row order at the end
        Parallel.For(0, batch, row =>
        {
            var states = Scratch.States((pos + 1) * width); // s_0 … s_pos, [pos + 1, d_inner, d_state]
            var decays = Scratch.Decays(pos * width); // exp(Δ_t A), [pos, d_inner, d_state]
            initial.AsSpan(row * width, width).CopyTo(states);
            var s = states[..width].ToArray();
            for (var t = 0; t < pos; t++)
            {
                var at = (row * pos + t) * inner;
                var decay = decays.Slice(t * width, width);
                Step(s, decay, a, delta.AsSpan(at, inner), u.AsSpan(at, inner), b.AsSpan((row * pos + t) * n, n), n);
                s.CopyTo(states.Slice((t + 1) * width, width));
            }

            var gs = Scratch.Gradient(width); // ∂L/∂s_t, [d_inner, d_state]
            var ga = new float[width]; // this row's ∂L/∂A
            for (var t = pos - 1; t >= 0; t--)
            {
                int at = (row * pos + t) * inner,
                    atN = (row * pos + t) * n;
                ReadOnlySpan<float> st = states.Slice((t + 1) * width, width),
                    previous = states.Slice(t * width, width),
                    decay = decays.Slice(t * width, width),
                    bt = b.AsSpan(atN, n),
                    ct = c.AsSpan(atN, n);
                var gc = g.C.AsSpan(atN, n);
                var gb = g.B.AsSpan(atN, n);
                for (var d = 0; d < inner; d++)
                {
                    var gsd = gs.Slice(d * n, n);
                    float gyd = gy[at + d],
                        dt = delta[at + d],
                        ud = u[at + d];
                    Lanes.MultiplyAdd(ct, gyd, gsd); // g_t = ∂L/∂y_t ⊗ C_t + (what came from s_{t+1})
                    Lanes.MultiplyAdd(st.Slice(d * n, n), gyd, gc); // ∂L/∂C_t += ∂L/∂y_t[d] s_t[d]
                    var gsB = Lanes.Dot(gsd, bt);
                    g.U[at + d] = dt * gsB;
                    Lanes.MultiplyAdd(gsd, dt * ud, gb); // ∂L/∂B_t += Δ u g_t[d]
                    var decayShare = Lanes.DecayTerms(
                        gsd,
                        previous.Slice(d * n, n),
                        decay.Slice(d * n, n),
                        a.AsSpan(d * n, n),
                        dt,
                        ga.AsSpan(d * n, n)
                    );
                    g.Delta[at + d] = ud * gsB + decayShare;
                }
            }
            gs.CopyTo(g.Initial.AsSpan(row * width, width));
            gaRows[row] = ga;
        });
        foreach (var ga in gaRows)
            TensorPrimitives.Add(g.A, ga, g.A);
        return g;
    }

    /// <summary>Per-thread buffers of the backward pass, reused from call to call: a fresh 13 MB state history per batch row
    /// and layer kept the garbage collector and page faults busy.</summary>
    private static class Scratch
    {
        [ThreadStatic]
        private static float[]? _states;

        [ThreadStatic]
        private static float[]? _decays;

        [ThreadStatic]
        private static float[]? _gradient;

        /// <summary>A buffer of <paramref name="length"/> floats, contents undefined.</summary>
        public static Span<float> States(int length) => Get(ref _states, length);

        /// <summary>A buffer of <paramref name="length"/> floats, contents undefined.</summary>
        public static Span<float> Decays(int length) => Get(ref _decays, length);

        /// <summary>A zeroed buffer of <paramref name="length"/> floats.</summary>
        public static Span<float> Gradient(int length)
        {
            var span = Get(ref _gradient, length);
            span.Clear();
            return span;
        }

        private static Span<float> Get(ref float[]? buffer, int length)
        {
            if (buffer is null || buffer.Length < length)
                buffer = new float[length];
            return buffer.AsSpan(0, length);
        }
    }

    /// <summary>s ← exp(Δ A) ⊙ s + (Δ u) ⊗ B for one row and position; leaves exp(Δ A) in <paramref name="decay"/>.</summary>
    /// <param name="s">[d_inner, d_state], updated in place.</param>
    /// <param name="decay">[d_inner, d_state], written.</param>
    /// <param name="a">[d_inner, d_state]</param>
    /// <param name="delta">[d_inner]</param>
    /// <param name="u">[d_inner]</param>
    /// <param name="b">[d_state]</param>
    /// <param name="n">d_state.</param>
    private static void Step(
        Span<float> s,
        Span<float> decay,
        ReadOnlySpan<float> a,
        ReadOnlySpan<float> delta,
        ReadOnlySpan<float> u,
        ReadOnlySpan<float> b,
        int n
    )
    {
        for (var d = 0; d < delta.Length; d++)
            Lanes.Scale(a.Slice(d * n, n), delta[d], decay.Slice(d * n, n));
        TensorPrimitives.Exp(decay, decay);
        TensorPrimitives.Multiply(s, decay, s);
        for (var d = 0; d < delta.Length; d++)
            Lanes.MultiplyAdd(b, delta[d] * u[d], s.Slice(d * n, n));
    }

    /// <summary>The forward scan of a unit of channels for d_state = 16 (Mamba-1's), one channel's state a 512-bit vector:
    /// decay, update and readout of a channel in registers, where <see cref="Step"/> makes four passes over the unit's
    /// states and decays. The same operations in the same order (a·Δ, exp, s·decay + B·(Δu), then C·s summed as
    /// <see cref="Lanes.Dot"/> sums it), so the same bits.</summary>
    private static class Sixteen
    {
        public const int Lanes = 16;

        /// <summary>Whether the kernels run on this CPU (AVX-512, or AVX2 with FMA, where each 512-bit operation is two
        /// 256-bit ones) and <see cref="Vector{T}"/> has 8 or 16 floats (the two sum orders this reproduces).</summary>
        public static readonly bool Applies = Kernels.SimdGemm.Supported && Vector<float>.Count is 8 or 16;

        /// <summary>Channels first … first + count − 1 of one batch row through every position.</summary>
        /// <param name="state">[count, 16], the channels' states, updated.</param>
        /// <param name="a">[count, 16], their rows of A.</param>
        /// <param name="delta">[batch, pos, d_inner], as in <see cref="Forward"/>.</param>
        /// <param name="u">[batch, pos, d_inner]</param>
        /// <param name="b">[batch, pos, 16]</param>
        /// <param name="c">[batch, pos, 16]</param>
        /// <param name="y">[batch, pos, d_inner], the unit's channels written.</param>
        /// <param name="rows">The row's first flat position (row · pos) and the positions.</param>
        /// <param name="channels">d_inner and the unit's first channel and count.</param>
        public static void Scan(
            Span<float> state,
            ReadOnlySpan<float> a,
            float[] delta,
            float[] u,
            float[] b,
            float[] c,
            float[] y,
            (int First, int Count) rows,
            (int Inner, int First, int Count) channels
        )
        {
            for (var t = 0; t < rows.Count; t++)
            {
                int at = (rows.First + t) * channels.Inner + channels.First,
                    atN = (rows.First + t) * Lanes;
                Vector512<float> bt = Vector512.Create<float>(b.AsSpan(atN, Lanes)),
                    ct = Vector512.Create<float>(c.AsSpan(atN, Lanes));
                for (var d = 0; d < channels.Count; d++)
                {
                    float dt = delta[at + d];
                    var decay = Vector512.Exp(Vector512.Create<float>(a.Slice(d * Lanes, Lanes)) * dt);
                    var sd = Vector512.Create<float>(state.Slice(d * Lanes, Lanes)) * decay + bt * (dt * u[at + d]);
                    sd.CopyTo(state.Slice(d * Lanes, Lanes));
                    var products = ct * sd;
                    y[at + d] =
                        Vector<float>.Count == Lanes ? Vector512.Sum(products) : Vector256.Sum(products.GetLower() + products.GetUpper());
                }
            }
        }
    }

    /// <summary>The per-channel loops over the d_state lanes, written out with <see cref="Vector{T}"/>: a TensorPrimitives
    /// call per 16-float channel cost more in call overhead than in arithmetic.</summary>
    private static class Lanes
    {
        private static readonly int Width = Vector<float>.Count;

        /// <summary>x · y.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float Dot(ReadOnlySpan<float> x, ReadOnlySpan<float> y)
        {
            var sum = Vector<float>.Zero;
            var i = 0;
            for (; i <= x.Length - Width; i += Width)
                sum += new Vector<float>(x[i..]) * new Vector<float>(y[i..]);
            var total = Vector.Sum(sum);
            for (; i < x.Length; i++)
                total += x[i] * y[i];
            return total;
        }

        /// <summary>z ← x · scale.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void Scale(ReadOnlySpan<float> x, float scale, Span<float> z)
        {
            var i = 0;
            for (; i <= x.Length - Width; i += Width)
                (new Vector<float>(x[i..]) * scale).CopyTo(z[i..]);
            for (; i < x.Length; i++)
                z[i] = x[i] * scale;
        }

        /// <summary>z ← z + x · scale.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static void MultiplyAdd(ReadOnlySpan<float> x, float scale, Span<float> z)
        {
            var i = 0;
            for (; i <= x.Length - Width; i += Width)
                (new Vector<float>(z[i..]) + new Vector<float>(x[i..]) * scale).CopyTo(z[i..]);
            for (; i < x.Length; i++)
                z[i] += x[i] * scale;
        }

        /// <summary>For one channel: term = g ⊙ s_{t−1} ⊙ exp(ΔA); ∂L/∂A += Δ · term; g ← g ⊙ exp(ΔA) (on to s_{t−1});
        /// returns term · A, the decay's share of ∂L/∂Δ.</summary>
        [MethodImpl(MethodImplOptions.AggressiveInlining)]
        public static float DecayTerms(
            Span<float> g,
            ReadOnlySpan<float> previous,
            ReadOnlySpan<float> decay,
            ReadOnlySpan<float> a,
            float dt,
            Span<float> ga
        )
        {
            var sum = Vector<float>.Zero;
            var i = 0;
            for (; i <= g.Length - Width; i += Width)
            {
                var (gv, dv) = (new Vector<float>(g[i..]), new Vector<float>(decay[i..]));
                var term = gv * new Vector<float>(previous[i..]) * dv;
                sum += term * new Vector<float>(a[i..]);
                (new Vector<float>(ga[i..]) + term * dt).CopyTo(ga[i..]);
                (gv * dv).CopyTo(g[i..]);
            }
            var total = Vector.Sum(sum);
            for (; i < g.Length; i++)
            {
                var term = g[i] * previous[i] * decay[i];
                total += term * a[i];
                ga[i] += term * dt;
                g[i] *= decay[i];
            }
            return total;
        }
    }
}

// A Mamba layer's part of the generation map's state: the fixed-size memory that replaces an attention cache. It is
// two tensors whatever the number of positions read: the convolution window (the inputs x of the last d_conv − 1
// positions, which the causal convolution reads again) and the selective state s [batch, d_inner, d_state]. Perturbed
// rows and their re-combination (ModelState.MixDeviations) act on both, so that two-trajectory and k-tangent Lyapunov
// runs measure the dynamics of exactly this compressed state.
// A pass must be re-runnable as an attention cache's is (the non-finite diagnosis re-runs the last pass, and an attention
// cache rewrites the same slots with the same values): the state is kept in two slots, the one after the last pass and
// the one before it, so a pass that starts again where the last one started reads the state that pass read.
// The selective state is held in float32 whatever the model dtype (transformers' slow path scans in float32 too).
// References: Gu & Dao (2023), "Mamba: Linear-Time Sequence Modeling with Selective State Spaces" (arXiv:2312.00752),
// Algorithm 2 and §3.5; transformers' modeling_mamba.py (MambaCache: conv_states, ssm_states).
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>A Mamba layer's recurrent state for <c>batch</c> rows: convolution window and selective state.</summary>
internal sealed class MambaState : ILayerState
{
    private readonly Tensor[] _window; // 2 slots of [batch, d_conv − 1, d_inner] in the model dtype
    private readonly Tensor[] _ssm; // 2 slots of [batch, d_inner, d_state] in float32
    private int _after; // the slot holding the state after Position
    private long _lastStart = -1; // where the last pass started; the other slot holds the state there
    private int _target; // the slot the pass under way writes

    /// <param name="batch">Rows.</param>
    /// <param name="innerSize">d_inner.</param>
    /// <param name="stateSize">d_state, N.</param>
    /// <param name="convKernel">d_conv.</param>
    /// <param name="dtype">The model dtype (of the window; the selective state is float32).</param>
    /// <param name="device">The model's device.</param>
    public MambaState(long batch, int innerSize, int stateSize, int convKernel, ScalarType dtype, Device device)
    {
        _window =
        [
            .. Enumerable.Range(0, 2).Select(_ => zeros([batch, convKernel - 1, innerSize], dtype, device).DetachFromDisposeScope()),
        ];
        _ssm =
        [
            .. Enumerable
                .Range(0, 2)
                .Select(_ => zeros([batch, innerSize, stateSize], ScalarType.Float32, device).DetachFromDisposeScope()),
        ];
    }

    /// <summary>Positions read so far: the state is that after positions 0 … Position − 1.</summary>
    public long Position { get; private set; }

    /// <summary>The state a pass starting at <paramref name="startPos"/> reads (views of the buffers; do not write them):
    /// the current one when the pass continues from <see cref="Position"/>, the one before the last pass when it starts
    /// again where that pass started, zeros when it starts at 0.</summary>
    /// <returns>The window [batch, d_conv − 1, d_inner] and the selective state [batch, d_inner, d_state].</returns>
    /// <exception cref="InvalidOperationException">The state holds no position to continue from at <paramref name="startPos"/>.</exception>
    public (Tensor Window, Tensor Ssm) Read(long startPos)
    {
        if (startPos == Position)
            _target = 1 - _after; // a continuation: the current slot becomes the one before it
        else if (startPos == _lastStart)
            _target = _after; // a re-run of the last pass: it reads the slot before it and rewrites the current one
        else if (startPos == 0)
        {
            _window[1 - _after].zero_(); // a restart: the slot before it holds the empty state
            _ssm[1 - _after].zero_();
            _lastStart = 0;
            _target = _after;
        }
        else
            throw new InvalidOperationException(
                $"a recurrent state holds the state after position {Position - 1}; a pass cannot start at position {startPos}"
            );
        var source = _target == _after ? 1 - _after : _after;
        if (_target != _after)
            _lastStart = startPos;
        return (_window[source], _ssm[source]);
    }

    /// <summary>Stores the state after the pass over positions startPos … <paramref name="length"/> − 1 that last called
    /// <see cref="Read"/>.</summary>
    /// <param name="length">startPos + pos.</param>
    /// <param name="window">[batch, d_conv − 1, d_inner] the inputs x of the last d_conv − 1 positions.</param>
    /// <param name="ssm">[batch, d_inner, d_state] the selective state after the last position.</param>
    public void Write(long length, Tensor window, Tensor ssm)
    {
        _window[_target].copy_(window.detach());
        _ssm[_target].copy_(ssm.detach());
        _after = _target;
        Position = length;
    }

    /// <inheritdoc/>
    /// <remarks>The whole state is one part: <paramref name="from"/> and <paramref name="length"/> do not matter (rows hold
    /// no deviation before <paramref name="from"/>, so mixing them is mixing zeros).</remarks>
    public void MixDeviations(Tensor mix, long from, long length)
    {
        foreach (var buffer in new[] { _window[_after], _ssm[_after] })
        {
            using var scope = NewDisposeScope();
            var k = buffer.shape[0] - 1;
            var reference = buffer.narrow(0, 0, 1); // [1, …]
            var rows = buffer.narrow(0, 1, k).sub_(reference); // [k, …]: the deviations, in place
            var mixed = mix.to_type(buffer.dtype).t().matmul(rows.reshape(k, -1)); // [k, numel / batch]
            rows.copy_(mixed.view(rows.shape)).add_(reference, KeptScalars.One);
        }
    }

    /// <inheritdoc/>
    /// <remarks>The whole state is one part; both slots are copied, so that a re-run of the last pass (the non-finite
    /// diagnosis) reads the chosen row's state before it too.</remarks>
    public void CopyRows(Tensor sources, long from, long length)
    {
        foreach (var buffer in _window.Concat(_ssm))
        {
            using var scope = NewDisposeScope();
            buffer.copy_(buffer.index_select(0, sources)); // [batch, …]
        }
    }

    /// <summary>Frees the buffers.</summary>
    public void Dispose()
    {
        foreach (var t in _window.Concat(_ssm))
            t.Dispose();
    }
}

// Next-token probabilities one token at a time, for coding: batch 1, one token per forward pass through the KV cache (or
// the Mamba state), softmax in float32 on the model's device, copied to the CPU. An arithmetic decoder can only feed the
// model the tokens it has already decoded, so the encoder must run the model in exactly this way too: the same passes
// in the same order give the same floats (on one machine, libtorch build and thread count; see docs/code-length.md).
// Reference: Delétang et al. 2024, "Language Modeling Is Compression" (ICLR), for coding with a model's predictions.
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Generation;

/// <summary>Reads tokens one at a time and returns the model's next-token distribution after each.</summary>
/// <remarks>Start one with <see cref="LanguageModel.StartPredictor"/>; it holds the model (hooks cannot be added) until
/// disposed. After <see cref="Capacity"/> tokens call <see cref="Reset"/> to start a fresh context.</remarks>
public sealed class NextTokenPredictor : IDisposable
{
    private readonly LanguageModel _owner;
    private readonly CausalLm _model;
    private ModelState? _state;

    internal NextTokenPredictor(LanguageModel owner, CausalLm model, int capacity)
    {
        if (capacity < 1)
            throw new ArgumentOutOfRangeException(nameof(capacity), $"capacity must be ≥ 1, is {capacity}");
        (_owner, _model, Capacity) = (owner, model, capacity);
        _state = _model.NewState(1, capacity);
    }

    /// <summary>The most tokens one context holds.</summary>
    public int Capacity { get; }

    /// <summary>Tokens read since the last reset: the position the next token goes to.</summary>
    public int Position { get; private set; }

    /// <summary>Reads <paramref name="token"/> at <see cref="Position"/> and returns p(· | the context so far), [d_vocab].</summary>
    /// <exception cref="InvalidOperationException">The context is full (reset it), or the predictor is disposed.</exception>
    /// <exception cref="ArgumentOutOfRangeException">The token is not an id of the vocabulary.</exception>
    /// <exception cref="NonFiniteValueException">The distribution holds a NaN or an infinity.</exception>
    public float[] Read(int token)
    {
        var state = _state ?? throw new ObjectDisposedException(nameof(NextTokenPredictor));
        if (Position >= Capacity)
            throw new InvalidOperationException($"the context holds {Capacity} tokens: reset it first");
        if (token < 0 || token >= _model.Spec.VocabSize)
            throw new ArgumentOutOfRangeException(nameof(token), $"token {token} is not in [0, {_model.Spec.VocabSize})");
        float[] probabilities;
        using (NewDisposeScope())
        using (no_grad())
        {
            var input = tensor(new long[] { token }, [1, 1], ScalarType.Int64, _model.Device); // [1, 1]
            var logits = _model.Forward(input, state, Position, lastPositionOnly: true).select(1, -1); // [1, d_vocab]
            probabilities = logits.to_type(ScalarType.Float32).softmax(-1).cpu().contiguous().data<float>().ToArray();
        }
        foreach (var p in probabilities)
            if (!float.IsFinite(p))
                throw new NonFiniteValueException("softmax", Position, Position, 0, null);
        Position++;
        return probabilities;
    }

    /// <summary>Forgets the context: the next token read goes to position 0 of a fresh cache.</summary>
    public void Reset()
    {
        ObjectDisposedException.ThrowIf(_state is null, this);
        _state.Dispose();
        _state = _model.NewState(1, Capacity);
        Position = 0;
    }

    /// <summary>Frees the cache and lets the model start another session.</summary>
    public void Dispose()
    {
        _state?.Dispose();
        _state = null;
        _owner.Release(this);
    }
}

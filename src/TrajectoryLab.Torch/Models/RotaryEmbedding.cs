// Rotary position embeddings (Su et al. 2021, arXiv:2104.09864) in Hugging Face's half-split layout
// (dimension i pairs with i + d_head/2), with the rope_scaling variants of RopeScaling.cs.
// Frequencies and angles are computed in double in C#, then handed to the model as cos/sin tensors.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>Computes rotary angles for a range of positions and rotates query/key heads by them.</summary>
internal sealed class RotaryEmbedding(ModelSpec spec)
{
    /// <summary>Features of each head that rotate: all d_head, or the design's first RotaryDims (partial rotary).</summary>
    private readonly int _dims = spec.Block.RotaryDims ?? spec.HeadDim;

    private int _half => _dims / 2;

    /// <summary>The inverse frequencies θ_i for a forward pass whose last position is <paramref name="sequenceLength"/> - 1.</summary>
    /// <remarks>
    /// Base: θ_i = base^(-2i/d_head), i &lt; d_head/2. Linear: θ_i / factor. Llama 3: with L = original context,
    /// wavelength λ_i = 2π/θ_i: λ_i &lt; L/high_freq_factor keeps θ_i; λ_i &gt; L/low_freq_factor gives θ_i/factor;
    /// between, (1 - s)·θ_i/factor + s·θ_i with s = (L/λ_i - low)/(high - low).
    /// Dynamic (NTK): when the sequence length n exceeds L (original context, else max_position_embeddings),
    /// base' = base·(factor·n/L - (factor - 1))^(d/(d-2)). Like Hugging Face, the frequencies follow the length of
    /// the current forward pass, so keys cached at shorter lengths keep the rotation they were computed with.
    /// </remarks>
    public double[] InverseFrequencies(long sequenceLength)
    {
        var d = (double)_dims;
        var theta = spec.RopeTheta;
        var scaling = spec.RopeScaling;
        if (scaling is { Kind: RopeScalingKind.Dynamic })
        {
            double original = scaling.OriginalMaxPositionEmbeddings ?? spec.MaxPositionEmbeddings;
            if (sequenceLength > original)
                theta *= Math.Pow(scaling.Factor * sequenceLength / original - (scaling.Factor - 1), d / (d - 2));
        }
        var inv = new double[_half];
        for (var i = 0; i < _half; i++)
        {
            var f = Math.Pow(theta, -2.0 * i / d);
            inv[i] = scaling switch
            {
                { Kind: RopeScalingKind.Linear } => f / scaling.Factor,
                { Kind: RopeScalingKind.Llama3 } => Llama3(f, scaling),
                _ => f,
            };
        }
        return inv;
    }

    private static double Llama3(double f, RopeScaling s)
    {
        double context = s.OriginalMaxPositionEmbeddings!.Value;
        var wavelength = 2 * Math.PI / f;
        if (wavelength < context / s.HighFreqFactor)
            return f;
        if (wavelength > context / s.LowFreqFactor)
            return f / s.Factor;
        var smooth = (context / wavelength - s.LowFreqFactor) / (s.HighFreqFactor - s.LowFreqFactor);
        return (1 - smooth) * f / s.Factor + smooth * f;
    }

    /// <summary>The rotation of positions startPos … startPos + count - 1 as two [count, d_head] tables in
    /// <paramref name="dtype"/>: Cos = [cos θ | cos θ] and Sin = [−sin θ | sin θ] over the d_head / 2 angles θ_i of each
    /// position.</summary>
    public (Tensor Cos, Tensor Sin) Angles(long startPos, long count, ScalarType dtype, Device device)
    {
        var inv = InverseFrequencies(startPos + count);
        var head = 2 * _half;
        var cos = new float[count * head];
        var sin = new float[count * head];
        for (long p = 0; p < count; p++)
        for (var i = 0; i < _half; i++)
        {
            var angle = (startPos + p) * inv[i];
            cos[p * head + i] = cos[p * head + _half + i] = (float)Math.Cos(angle);
            sin[p * head + _half + i] = (float)Math.Sin(angle);
            sin[p * head + i] = -sin[p * head + _half + i];
        }
        return (tensor(cos, [count, head], dtype, device), tensor(sin, [count, head], dtype, device)); // [count, d_head] each
    }

    /// <summary>The rotation of columns startPos … startPos + count − 1 of a left-padded batch, row b reading column c as
    /// its position c − <paramref name="leftPad"/>[b] (a pad column, c &lt; pad_b, gets position 0's angles): two
    /// [batch, 1, count, d_head] tables that broadcast over the heads. Each row's values are those
    /// <see cref="Angles(long, long, ScalarType, Device)"/> gives the row run alone, bit for bit: the same positions and,
    /// for dynamic scaling, the frequencies of the row's own length startPos + count − pad_b.</summary>
    public (Tensor Cos, Tensor Sin) Angles(long startPos, long count, IReadOnlyList<long> leftPad, ScalarType dtype, Device device)
    {
        var batch = leftPad.Count;
        var head = 2 * _half;
        var cos = new float[batch * count * head];
        var sin = new float[batch * count * head];
        for (var b = 0; b < batch; b++)
        {
            var inv = InverseFrequencies(startPos + count - leftPad[b]);
            for (long p = 0; p < count; p++)
            {
                var position = Math.Max(startPos + p - leftPad[b], 0);
                var at = (b * count + p) * head;
                for (var i = 0; i < _half; i++)
                {
                    var angle = position * inv[i];
                    cos[at + i] = cos[at + _half + i] = (float)Math.Cos(angle);
                    sin[at + _half + i] = (float)Math.Sin(angle);
                    sin[at + i] = -sin[at + _half + i];
                }
            }
        }
        long[] shape = [batch, 1, count, head];
        return (tensor(cos, shape, dtype, device), tensor(sin, shape, dtype, device)); // [batch, 1, count, d_head] each
    }

    /// <summary>Rotates each pair (x_i, x_{i + d/2}) of every head by its position's angle θ_i:
    /// (x_i cos θ_i − x_{i+d/2} sin θ_i, x_{i+d/2} cos θ_i + x_i sin θ_i), computed as x ⊙ Cos + [x_{d/2…} | x_{…d/2}] ⊙ Sin.</summary>
    /// <param name="x">[batch, heads, pos, d_head]</param>
    /// <param name="cos">[pos, d_head], or [batch, 1, pos, d_head] for a padded batch, from <see cref="Angles(long, long,
    /// ScalarType, Device)"/>.</param>
    /// <param name="sin">Shaped as <paramref name="cos"/>.</param>
    /// <returns>[batch, heads, pos, d_head]</returns>
    public static Tensor Rotate(Tensor x, Tensor cos, Tensor sin)
    {
        if (Kernels.RotaryKernel.TryApply(x, cos, sin) is { } fast)
            return fast; // inference on a CPU: one C# pass, the same bits (Kernels/RotaryKernel.cs)
        var rotated = cos.shape[^1]; // R: all of d_head, or the first R features (partial rotary)
        if (rotated < x.shape[^1])
            return cat([Rotate(x.narrow(-1, 0, rotated), cos, sin), x.narrow(-1, rotated, x.shape[^1] - rotated)], -1);
        var half = rotated / 2;
        var swapped = cat([x.narrow(-1, half, half), x.narrow(-1, 0, half)], -1); // [batch, heads, pos, d_head]
        return x.mul(cos).add_(swapped.mul_(sin), KeptScalars.One); // explicit alpha: see KeptScalars.cs
    }
}

// PrefillAttention's 6 × 32 block on CPUs with AVX2 but no AVX-512: its twelve 16-lane accumulators would be 24 of the
// 16 256-bit registers, spilled to memory at every step; this runs the block as two halves of 6 × 16 (12 accumulators,
// two loads and a broadcast: 15 registers). Each output element is the same chain of fused multiply-adds over k,
// scaled by the same factor, so the bits are those of the 512-bit block.
// References: Van Zee & van de Geijn (2015), "BLIS: A Framework for Rapidly Instantiating BLAS Functionality", ACM TOMS
// 41(3) (the 6 × 16 AVX2 register block); docs/performance.md, "CPUs without AVX-512".
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;

namespace TrajectoryLab.Torch.Kernels;

internal static unsafe partial class PrefillAttention
{
    /// <summary>out[r, 0 … 15] = factor_r · Σ_k a_r[k] · B[k, 0 … 15], k &lt; <paramref name="depth"/>, for the first
    /// <paramref name="rows"/> of six rows, with 256-bit vectors (one half of <see cref="Block"/>).</summary>
    /// <param name="a">Six rows, each read at 0 … depth − 1.</param>
    /// <param name="b">B's row 0 (16 columns read).</param>
    /// <param name="bRow">The stride of B's rows.</param>
    /// <param name="depth">The rows of B summed over.</param>
    /// <param name="output">Row 0 of the half block.</param>
    /// <param name="outputRow">The stride of the output's rows.</param>
    /// <param name="rows">The rows stored (the first ones).</param>
    /// <param name="factors">Each row's factor.</param>
    [MethodImpl(MethodImplOptions.AggressiveOptimization)]
    private static void HalfBlock256(float** a, float* b, long bRow, int depth, float* output, long outputRow, int rows, float* factors)
    {
        const int Half = 8; // floats in a 256-bit vector
        float* r0 = a[0],
            r1 = a[1],
            r2 = a[2],
            r3 = a[3],
            r4 = a[4],
            r5 = a[5];
        Vector256<float> a00 = default,
            a01 = default,
            a10 = default,
            a11 = default,
            a20 = default,
            a21 = default,
            a30 = default,
            a31 = default,
            a40 = default,
            a41 = default,
            a50 = default,
            a51 = default;
        for (int k = 0; k < depth; k++)
        {
            var row = b + k * bRow;
            Vector256<float> b0 = Vector256.Load(row),
                b1 = Vector256.Load(row + Half);
            var x = Vector256.Create(r0[k]);
            a00 = Vector256.FusedMultiplyAdd(x, b0, a00);
            a01 = Vector256.FusedMultiplyAdd(x, b1, a01);
            x = Vector256.Create(r1[k]);
            a10 = Vector256.FusedMultiplyAdd(x, b0, a10);
            a11 = Vector256.FusedMultiplyAdd(x, b1, a11);
            x = Vector256.Create(r2[k]);
            a20 = Vector256.FusedMultiplyAdd(x, b0, a20);
            a21 = Vector256.FusedMultiplyAdd(x, b1, a21);
            x = Vector256.Create(r3[k]);
            a30 = Vector256.FusedMultiplyAdd(x, b0, a30);
            a31 = Vector256.FusedMultiplyAdd(x, b1, a31);
            x = Vector256.Create(r4[k]);
            a40 = Vector256.FusedMultiplyAdd(x, b0, a40);
            a41 = Vector256.FusedMultiplyAdd(x, b1, a41);
            x = Vector256.Create(r5[k]);
            a50 = Vector256.FusedMultiplyAdd(x, b0, a50);
            a51 = Vector256.FusedMultiplyAdd(x, b1, a51);
        }
        ReadOnlySpan<Vector256<float>> low = [a00, a10, a20, a30, a40, a50],
            high = [a01, a11, a21, a31, a41, a51];
        for (int r = 0; r < rows; r++)
        {
            var target = output + r * outputRow;
            var factor = Vector256.Create(factors[r]);
            (low[r] * factor).Store(target);
            (high[r] * factor).Store(target + Half);
        }
    }
}

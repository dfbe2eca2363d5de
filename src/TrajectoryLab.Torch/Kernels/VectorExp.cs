// exp(x) of sixteen float32 lanes in float32 arithmetic, for the kernels' softmax and SiLU. .NET's Vector512.Exp of
// float widens each vector to two double vectors and evaluates its polynomial in double (perf of a 256-token prefill:
// its exponentials were about 4% of the worker's samples, SwiGLU's most of them); this keeps single precision: Cody–Waite
// reduction x = n·ln 2 + r with ln 2 split in two (n = round(x·log₂e), |r| ≤ ln 2 / 2), Cephes' expf polynomial
// for e^r, and AVX-512's vscalefps for p·2ⁿ, which also gives +∞ above ln(float.MaxValue) and 0 (through the subnormals)
// below. Without AVX-512 the sixteen lanes run as two halves of eight (the same operations on 256-bit vectors: written
// with 512-bit ones, a long caller such as the SwiGLU row exhausted the JIT's inlining budget on that CPU and called each
// emulated operation, perf), and p·2ⁿ is two products by powers of two built from their exponent bits: 2^⌊n/2⌋ (exact,
// as p is near 1 and the product stays normal), then 2^(n−⌊n/2⌋), whose one rounding is vscalefps's, so the bits are
// the same.
// Relative error within 3e-7 of the exact value over the normal range (VectorExpTests); NaN stays NaN,
// exp(−∞) = 0 and exp(+∞) = +∞.
// References: Cody & Waite (1980), "Software Manual for the Elementary Functions" (argument reduction); Moshier (1989),
// Cephes Math Library, expf.c (the polynomial); Intel 64 and IA-32 Architectures Software Developer's Manual, VSCALEFPS.
using System.Runtime.CompilerServices;
using System.Runtime.Intrinsics;
using System.Runtime.Intrinsics.X86;

namespace TrajectoryLab.Torch.Kernels;

/// <summary>Sixteen-lane float32 exponential (see the file header).</summary>
internal static class VectorExp
{
    /// <summary>e^x lane by lane.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector512<float> Exp(Vector512<float> x)
    {
        if (!Avx512F.IsSupported)
            return Vector512.Create(Exp(x.GetLower()), Exp(x.GetUpper())); // the same bits, in 256-bit operations
        // ±∞ would make r = ∞ − ∞; beyond these bounds the result is already 0 or +∞. NaN lanes keep x (and stay NaN).
        var clamped = Vector512.Min(Vector512.Max(x, Vector512.Create(-104f)), Vector512.Create(89f));
        x = Vector512.ConditionalSelect(Vector512.Equals(x, x), clamped, x);
        var n = Vector512.Round(x * Vector512.Create(1.44269504088896341f)); // nearest integer, ties to even
        var r = Vector512.FusedMultiplyAdd(n, Vector512.Create(-0.693359375f), x); // ln 2's high part: exact products
        r = Vector512.FusedMultiplyAdd(n, Vector512.Create(2.12194440e-4f), r); // and its low part
        var p = Vector512.FusedMultiplyAdd(Vector512.Create(1.9875691500e-4f), r, Vector512.Create(1.3981999507e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(8.3334519073e-3f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(4.1665795894e-2f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(1.6666665459e-1f));
        p = Vector512.FusedMultiplyAdd(p, r, Vector512.Create(5.0000001201e-1f));
        p = Vector512.FusedMultiplyAdd(p, r * r, r) + Vector512<float>.One; // e^r = 1 + r + r²·P(r)
        return Avx512F.Scale(p, n);
    }

    /// <summary>e^x of eight lanes: <see cref="Exp(Vector512{float})"/>'s operations on 256-bit vectors, lane for lane the same
    /// bits; what the sixteen-lane form runs without AVX-512.</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    public static Vector256<float> Exp(Vector256<float> x)
    {
        var clamped = Vector256.Min(Vector256.Max(x, Vector256.Create(-104f)), Vector256.Create(89f));
        x = Vector256.ConditionalSelect(Vector256.Equals(x, x), clamped, x);
        var n = Vector256.Round(x * Vector256.Create(1.44269504088896341f));
        var r = Vector256.FusedMultiplyAdd(n, Vector256.Create(-0.693359375f), x);
        r = Vector256.FusedMultiplyAdd(n, Vector256.Create(2.12194440e-4f), r);
        var p = Vector256.FusedMultiplyAdd(Vector256.Create(1.9875691500e-4f), r, Vector256.Create(1.3981999507e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(8.3334519073e-3f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(4.1665795894e-2f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(1.6666665459e-1f));
        p = Vector256.FusedMultiplyAdd(p, r, Vector256.Create(5.0000001201e-1f));
        p = Vector256.FusedMultiplyAdd(p, r * r, r) + Vector256<float>.One;
        return ScaleByPowerOfTwo(p, n);
    }

    /// <summary>p·2ⁿ rounded once, for p in [½, 2] and integral n in [−150, 128] (or NaN lanes, which stay NaN).</summary>
    [MethodImpl(MethodImplOptions.AggressiveInlining)]
    internal static Vector256<float> ScaleByPowerOfTwo(Vector256<float> p, Vector256<float> n)
    {
        var whole = Vector256.ConvertToInt32(n);
        var half = whole >> 1; // ⌊n/2⌋ in [−75, 64]
        var first = Vector256.ShiftLeft(half + Vector256.Create(127), 23).AsSingle();
        var second = Vector256.ShiftLeft(whole - half + Vector256.Create(127), 23).AsSingle();
        return p * first * second;
    }
}

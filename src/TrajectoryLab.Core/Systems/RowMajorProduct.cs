// Dense products with a square row-major matrix, y = A x for one vector and Y = A X for k column-major vectors, in plain
// C# SIMD (Vector256 fused multiply-adds). Every output element is one dot product of a row of A with a column, summed
// in the same order whichever kernel computes it (one 4-wide running sum over j in steps of 4, its lanes added as
// (l0 + l1) + (l2 + l3), then the scalar tail by fused multiply-adds), so a column gives bit-identical results alone or in a block
// of columns, and on any CPU (without AVX the vector operations are emulated with the same rounding). The kernels keep
// several such sums in flight at once (4 rows of y = A x; 2 rows × 4 columns of Y = A X, reusing each loaded chunk of a
// row and of a column): about 6 GFLOP/s of multiply-adds on one core where MathNet's managed provider gave under 1
// (docs/dynamics.md, random tanh network).
// References: Goto & van de Geijn (2008), ACM TOMS 34(3):12 (register blocking of matrix products).
using System.Runtime.Intrinsics;

namespace TrajectoryLab.Core.Systems;

/// <summary>y = A x and Y = A X for a square row-major A (n × n) stored as one array.</summary>
internal static class RowMajorProduct
{
    /// <summary>y_i = Σ_j A_ij x_j for every row i.</summary>
    public static void Multiply(double[] a, int n, ReadOnlySpan<double> x, Span<double> y)
    {
        var i = 0;
        for (; i + 4 <= n; i += 4)
        {
            ReadOnlySpan<double> r0 = a.AsSpan(i * n, n),
                r1 = a.AsSpan((i + 1) * n, n),
                r2 = a.AsSpan((i + 2) * n, n),
                r3 = a.AsSpan((i + 3) * n, n);
            Vector256<double> s0 = default,
                s1 = default,
                s2 = default,
                s3 = default;
            var j = 0;
            for (; j + 4 <= n; j += 4)
            {
                var v = Vector256.Create(x.Slice(j));
                s0 = Vector256.FusedMultiplyAdd(Vector256.Create(r0.Slice(j)), v, s0);
                s1 = Vector256.FusedMultiplyAdd(Vector256.Create(r1.Slice(j)), v, s1);
                s2 = Vector256.FusedMultiplyAdd(Vector256.Create(r2.Slice(j)), v, s2);
                s3 = Vector256.FusedMultiplyAdd(Vector256.Create(r3.Slice(j)), v, s3);
            }
            y[i] = Tail(Lanes(s0), r0, x, j);
            y[i + 1] = Tail(Lanes(s1), r1, x, j);
            y[i + 2] = Tail(Lanes(s2), r2, x, j);
            y[i + 3] = Tail(Lanes(s3), r3, x, j);
        }
        for (; i < n; i++)
            y[i] = Dot(a.AsSpan(i * n, n), x);
    }

    /// <summary>Y[:, c] = A X[:, c] for the <paramref name="k"/> columns of X and Y, both column-major n × k.</summary>
    public static void MultiplyColumns(double[] a, int n, ReadOnlySpan<double> x, Span<double> y, int k)
    {
        var c = 0;
        for (; c + 4 <= k; c += 4)
        {
            var i = 0;
            for (; i + 2 <= n; i += 2)
                Block(a, n, x, y, i, c);
            if (i < n)
                for (var col = c; col < c + 4; col++)
                    y[col * n + i] = Dot(a.AsSpan(i * n, n), x.Slice(col * n, n));
        }
        for (; c < k; c++)
            Multiply(a, n, x.Slice(c * n, n), y.Slice(c * n, n));
    }

    /// <summary>The dot product in the canonical order every kernel here uses.</summary>
    public static double Dot(ReadOnlySpan<double> row, ReadOnlySpan<double> x)
    {
        Vector256<double> s = default;
        var j = 0;
        for (; j + 4 <= row.Length; j += 4)
            s = Vector256.FusedMultiplyAdd(Vector256.Create(row.Slice(j)), Vector256.Create(x.Slice(j)), s);
        return Tail(Lanes(s), row, x, j);
    }

    /// <summary>Rows i, i + 1 times columns c..c + 3: eight running sums, each summed exactly as <see cref="Dot"/> sums it.</summary>
    private static void Block(double[] a, int n, ReadOnlySpan<double> x, Span<double> y, int i, int c)
    {
        ReadOnlySpan<double> r0 = a.AsSpan(i * n, n),
            r1 = a.AsSpan((i + 1) * n, n),
            x0 = x.Slice(c * n, n),
            x1 = x.Slice((c + 1) * n, n),
            x2 = x.Slice((c + 2) * n, n),
            x3 = x.Slice((c + 3) * n, n);
        Vector256<double> a0 = default,
            a1 = default,
            a2 = default,
            a3 = default,
            b0 = default,
            b1 = default,
            b2 = default,
            b3 = default; // a: row i, b: row i + 1; digit: column
        var j = 0;
        for (; j + 4 <= n; j += 4)
        {
            Vector256<double> u = Vector256.Create(r0.Slice(j)),
                v = Vector256.Create(r1.Slice(j)),
                p0 = Vector256.Create(x0.Slice(j)),
                p1 = Vector256.Create(x1.Slice(j)),
                p2 = Vector256.Create(x2.Slice(j)),
                p3 = Vector256.Create(x3.Slice(j));
            a0 = Vector256.FusedMultiplyAdd(u, p0, a0);
            a1 = Vector256.FusedMultiplyAdd(u, p1, a1);
            a2 = Vector256.FusedMultiplyAdd(u, p2, a2);
            a3 = Vector256.FusedMultiplyAdd(u, p3, a3);
            b0 = Vector256.FusedMultiplyAdd(v, p0, b0);
            b1 = Vector256.FusedMultiplyAdd(v, p1, b1);
            b2 = Vector256.FusedMultiplyAdd(v, p2, b2);
            b3 = Vector256.FusedMultiplyAdd(v, p3, b3);
        }
        y[c * n + i] = Tail(Lanes(a0), r0, x0, j);
        y[(c + 1) * n + i] = Tail(Lanes(a1), r0, x1, j);
        y[(c + 2) * n + i] = Tail(Lanes(a2), r0, x2, j);
        y[(c + 3) * n + i] = Tail(Lanes(a3), r0, x3, j);
        y[c * n + i + 1] = Tail(Lanes(b0), r1, x0, j);
        y[(c + 1) * n + i + 1] = Tail(Lanes(b1), r1, x1, j);
        y[(c + 2) * n + i + 1] = Tail(Lanes(b2), r1, x2, j);
        y[(c + 3) * n + i + 1] = Tail(Lanes(b3), r1, x3, j);
    }

    /// <summary>The four lanes of a running sum added in a fixed order, (l0 + l1) + (l2 + l3), on every CPU.</summary>
    private static double Lanes(Vector256<double> s) => (s.GetElement(0) + s.GetElement(1)) + (s.GetElement(2) + s.GetElement(3));

    /// <summary>Adds the elements from <paramref name="j"/> on to <paramref name="sum"/>, one fused multiply-add each.</summary>
    private static double Tail(double sum, ReadOnlySpan<double> row, ReadOnlySpan<double> x, int j)
    {
        for (; j < row.Length; j++)
            sum = Math.FusedMultiplyAdd(row[j], x[j], sum);
        return sum;
    }
}

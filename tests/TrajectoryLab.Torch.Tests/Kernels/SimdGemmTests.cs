// The C# product kernel against a double-precision reference on random shapes (FsCheck): any number of rows (the
// streamed path up to 4, the packed path above, in row groups from 96 rows on), any input and output width (tails of 64, 16 and single columns), any
// row stride of x, any thread count; and its determinism: the same call gives the same bits whatever the thread count
// (libtorch's thread count is process-wide, so another caller may change it mid-run), and whatever the vector width:
// the 512-bit shapes (AVX-512) and the 256-bit ones (AVX2: 16-column tiles only, packed; a 256-bit streamed loop) give the same bits, both
// run on any machine (.NET runs 512-bit operations as two 256-bit ones where the hardware lacks them).
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Kernels;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed unsafe class SimdGemmTests
{
    [Property(MaxTest = 120)]
    public void MatchesTheDoubleProduct(PositiveInt rowsSeed, PositiveInt inputSeed, PositiveInt outputSeed, byte padding, byte threadsSeed)
    {
        if (!SimdGemm.Supported)
            return; // the kernel is off on this CPU, and WeightProduct uses libtorch
        int rows = 1 + rowsSeed.Get % 40,
            input = 1 + inputSeed.Get % 300,
            output = 1 + outputSeed.Get % 300,
            stride = input + padding % 5,
            threads = 1 + threadsSeed % 3;
        var random = new Random(rows * 1_000_003 + input * 1009 + output);
        var x = Fill(random, (long)rows * stride);
        var w = Fill(random, (long)input * output);
        var y = Run(x, stride, w, rows, input, output, threads);
        for (int r = 0; r < rows; r++)
        for (int o = 0; o < output; o++)
        {
            double exact = 0,
                magnitude = 0;
            for (int i = 0; i < input; i++)
            {
                exact += (double)x[r * stride + i] * w[i * output + o];
                magnitude += Math.Abs((double)x[r * stride + i] * w[i * output + o]);
            }
            // float32 accumulation: at most ~input·2⁻²⁴ of Σ|terms| (a loose bound; observed errors are far smaller)
            var tolerance = 1e-6 + input * 6e-8 * magnitude;
            Assert.True(
                Math.Abs(y[r * output + o] - exact) <= tolerance,
                $"rows {rows} input {input} output {output} threads {threads}: y[{r},{o}] = {y[r * output + o]}, exact {exact}"
            );
        }
    }

    [Property(MaxTest = 40)]
    public void IsDeterministicAndIgnoresTheThreadCount(PositiveInt rowsSeed, PositiveInt outputSeed)
    {
        if (!SimdGemm.Supported)
            return;
        int rows = 1 + rowsSeed.Get % 30,
            input = 37 + rowsSeed.Get % 200,
            output = 1 + outputSeed.Get % 400;
        var random = new Random(rows + 7 * output);
        var x = Fill(random, (long)rows * input);
        var w = Fill(random, (long)input * output);
        var once = Run(x, input, w, rows, input, output, 2);
        Assert.Equal(once, Run(x, input, w, rows, input, output, 2));
        Assert.Equal(once, Run(x, input, w, rows, input, output, 1));
        Assert.Equal(once, Run(x, input, w, rows, input, output, 3));
    }

    [Property(MaxTest = 25)]
    public void RowGroupsOfAPrefillGiveTheBitsOfOneThread(PositiveInt rowsSeed, PositiveInt inputSeed, PositiveInt outputSeed)
    {
        if (!SimdGemm.Supported)
            return;
        // A prefill's rows (96 or more) through a product wide enough for two threads (65 columns or more): the threads
        // split the rows into groups as well as the columns, and every row must come out as one thread computes it.
        int rows = 96 + rowsSeed.Get * 37 % 300,
            input = 1 + inputSeed.Get * 13 % 200,
            output = 65 + outputSeed.Get * 29 % 400;
        var random = new Random(rows + 11 * input + 101 * output);
        var x = Fill(random, (long)rows * input);
        var w = Fill(random, (long)input * output);
        var one = Run(x, input, w, rows, input, output, 1);
        Assert.Equal(one, Run(x, input, w, rows, input, output, 2));
        Assert.Equal(one, Run(x, input, w, rows, input, output, 3));
        AgreesWithTheDoubleProduct(x, w, one, rows, input, output, rowStep: 7, columnStep: 5); // one thread's rows, sampled
    }

    [Property(MaxTest = 20)]
    public void ARowHasTheSameBitsInEveryBlockedBatch(PositiveInt inputSeed, PositiveInt outputSeed)
    {
        if (!SimdGemm.Supported)
            return;
        // Above 4 rows the micro-kernels take 6 or 4 rows at a time, and where a row lands depends on the batch size; its
        // chain of fused multiply-adds must not.
        int input = 1 + inputSeed.Get % 300,
            output = 1 + outputSeed.Get % 300;
        var random = new Random(input + 31 * output);
        var x = Fill(random, 259L * input);
        var w = Fill(random, (long)input * output);
        var all = Run(x, input, w, 259, input, output, 2); // up to 5 row groups (each a multiple of 6 rows but the last)
        foreach (var rows in new[] { 5, 7, 8, 13, 17, 32, 97, 144, 256 })
            Assert.Equal(all.AsSpan(0, rows * output).ToArray(), Run(x, input, w, rows, input, output, 2));
    }

    [Fact]
    public void AWideHeadGivesTheSameBitsOnOneTwoAndFiveThreads()
    {
        if (!SimdGemm.Supported)
            return;
        var random = new Random(5);
        const int input = 288,
            output = 4000;
        var x = Fill(random, input);
        var w = Fill(random, (long)input * output);
        var one = Run(x, input, w, 1, input, output, 1);
        Assert.Equal(one, Run(x, input, w, 1, input, output, 2)); // the chunks of W's rows are fixed by the shape
        Assert.Equal(one, Run(x, input, w, 1, input, output, 5));
    }

    [Fact]
    public void AWideHeadOverManyRowsMatchesTheDoubleProductWithTheSameBitsOnAnyThreadCount()
    {
        if (!SimdGemm.Supported)
            return;
        // 17 rows (a 16-vector spectrum step) of a 4000-column head: 16 blocks of W's columns handed out in units, each
        // thread prefetching the block it expects next; which thread computes a unit must not change a bit.
        var random = new Random(9);
        const int rows = 17,
            input = 288,
            output = 4000;
        var x = Fill(random, rows * input);
        var w = Fill(random, (long)input * output);
        var two = Run(x, input, w, rows, input, output, 2);
        AgreesWithTheDoubleProduct(x, w, two, rows, input, output, rowStep: 1, columnStep: 7);
        Assert.Equal(two, Run(x, input, w, rows, input, output, 1));
        Assert.Equal(two, Run(x, input, w, rows, input, output, 3));
    }

    /// <summary>y[r, o] against the double-precision Σ_i x[r, i]·w[i, o] (x dense) on every rowStep-th row and
    /// columnStep-th column: within float32 accumulation's ~input·2⁻²⁴ of Σ|terms| (a loose bound).</summary>
    private static void AgreesWithTheDoubleProduct(
        float[] x,
        float[] w,
        float[] y,
        int rows,
        int input,
        int output,
        int rowStep,
        int columnStep
    )
    {
        for (int r = 0; r < rows; r += rowStep)
        for (int o = 0; o < output; o += columnStep)
        {
            double exact = 0,
                magnitude = 0;
            for (int i = 0; i < input; i++)
            {
                exact += (double)x[r * input + i] * w[i * output + o];
                magnitude += Math.Abs((double)x[r * input + i] * w[i * output + o]);
            }
            Assert.True(Math.Abs(y[r * output + o] - exact) <= 1e-6 + input * 6e-8 * magnitude, $"rows {rows}: y[{r},{o}]");
        }
    }

    [Property(MaxTest = 60)]
    public void BothVectorWidthsGiveTheSameBits(PositiveInt rowsSeed, PositiveInt inputSeed, PositiveInt outputSeed, byte padding)
    {
        if (!SimdGemm.Supported)
            return;
        // Rows from 1 to 300: the streamed path, the micro-kernels alone (under 24 rows) and with packed tiles, row groups.
        int rows = 1 + rowsSeed.Get * 7 % 300,
            input = 1 + inputSeed.Get * 13 % 400,
            output = 1 + outputSeed.Get * 29 % 700,
            stride = input + padding % 5;
        var random = new Random(rows * 31 + input * 7 + output);
        var x = Fill(random, (long)rows * stride);
        var w = Fill(random, (long)input * output);
        var wide = Run(x, stride, w, rows, input, output, 2, wide: true);
        var narrow = Run(x, stride, w, rows, input, output, 2, wide: false);
        Assert.True(wide.SequenceEqual(narrow), $"rows {rows} input {input} output {output}: the two widths differ");
    }

    private static float[] Run(float[] x, int stride, float[] w, int rows, int input, int output, int threads, bool? wide = null)
    {
        var y = new float[rows * output];
        fixed (
            float* xp = x,
                wp = w,
                yp = y
        )
            SimdGemm.Multiply(xp, stride, wp, yp, rows, input, output, threads, wide);
        return y;
    }

    private static float[] Fill(Random random, long n)
    {
        var a = new float[n];
        for (long i = 0; i < n; i++)
            a[i] = (float)(random.NextDouble() * 2 - 1);
        return a;
    }
}

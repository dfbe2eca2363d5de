// Non-finite weights never reach a model: the bit-level scan finds the first NaN/±∞ in every float format (against
// float.IsFinite as the reference), loading refuses a checkpoint naming the tensor and the element, the streamed
// validation finds the same element without building a model and without allocating anywhere near the checkpoint's size,
// and the llama2.c export loads back exactly and is validated the same way.
using System.Buffers.Binary;
using System.Runtime.InteropServices;
using FsCheck;
using FsCheck.Fluent;
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Models;

namespace TrajectoryLab.Torch.Tests.Checkpoints;

public sealed class NonFiniteWeightTests(Xunit.Abstractions.ITestOutputHelper output)
{
    private static readonly float[] Specials = [float.NaN, float.PositiveInfinity, float.NegativeInfinity];

    [FsCheck.Xunit.Property(MaxTest = 300)]
    public Property ScanFindsTheFirstNonFiniteFloat32(PositiveInt length, NonNegativeInt at, NonNegativeInt which, bool insert)
    {
        var n = length.Get % 200 + 1;
        var values = Enumerable.Range(0, n).Select(i => (float)Math.Sin(i * 1.7) * 1e30f).ToArray(); // large but finite
        var index = at.Get % n;
        if (insert) values[index] = Specials[which.Get % 3];
        var expected = Array.FindIndex(values, v => !float.IsFinite(v));
        return (NonFiniteScan.FirstNonFinite(MemoryMarshal.AsBytes(values.AsSpan()), SafetensorsDType.F32) == expected).ToProperty();
    }

    [Theory]
    [InlineData(SafetensorsDType.F16)]
    [InlineData(SafetensorsDType.BF16)]
    [InlineData(SafetensorsDType.F64)]
    public void ScanAgreesWithIsFiniteOnEveryBitPatternOfTheHalfFormats(SafetensorsDType dtype)
    {
        if (dtype == SafetensorsDType.F64)
        {
            double[] values = [1, -0.0, double.MaxValue, double.Epsilon, double.NegativeInfinity, 2];
            Assert.Equal(4, NonFiniteScan.FirstNonFinite(MemoryMarshal.AsBytes(values.AsSpan()), dtype));
            Assert.Equal("-Infinity", NonFiniteScan.Describe(MemoryMarshal.AsBytes(values.AsSpan()), dtype, 4));
            return;
        }
        // Every one of the 65536 patterns, one at a time after 40 finite values (so the SIMD path is crossed too).
        var bytes = new byte[41 * 2];
        for (var bits = 0; bits <= ushort.MaxValue; bits++)
        {
            BinaryPrimitives.WriteUInt16LittleEndian(bytes.AsSpan(80), (ushort)bits);
            var finite = dtype == SafetensorsDType.F16 ? Half.IsFinite(BitConverter.UInt16BitsToHalf((ushort)bits))
                : float.IsFinite(BitConverter.Int32BitsToSingle(bits << 16));
            Assert.Equal(finite ? -1 : 40, NonFiniteScan.FirstNonFinite(bytes, dtype));
        }
    }

    [Fact]
    public void IndexIsRowMajor() =>
        Assert.Equal("[1, 2, 3]", NonFiniteScan.Index(1 * 20 + 2 * 5 + 3, [4, 4, 5]));

    private static string SaveTiny(TempFolder folder, out ModelSpec spec)
    {
        using var model = TinyLlamas.Create("gqa-untied", seed: 3);
        spec = model.Spec;
        HfModelFolder.Save(model, folder.Path);
        return folder.File(SafetensorsCheckpoint.SingleFileName);
    }

    private static void Poison(string file, string tensor, int element, float value)
    {
        using var reader = SafetensorsReader.Open(file);
        var entry = reader.Entry(tensor);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(File.ReadAllBytes(file).AsSpan(0, 8));
        reader.Dispose();
        var bytes = File.ReadAllBytes(file);
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan((int)(8 + headerLength + entry.Begin + 4 * element)), value);
        File.WriteAllBytes(file, bytes);
    }

    [Fact]
    public void LoadAndCheckRefuseANaNWeightNamingTensorAndElement()
    {
        using var folder = new TempFolder();
        var file = SaveTiny(folder, out var spec);
        var tensor = "model.layers.1.self_attn.o_proj.weight";
        Poison(file, tensor, 2 * spec.NumHeads * spec.HeadDim + 7, float.NaN); // row 2, column 7 of [d_model, q]

        var load = Assert.Throws<CheckpointException>(() => HfModelFolder.Load(folder.Path).Dispose());
        var check = Assert.Throws<CheckpointException>(() => LanguageModel.Check(ModelSource.Resolve(folder.Path)));
        foreach (var e in new[] { load, check })
        {
            Assert.Contains(file, e.Message);
            Assert.Contains($"tensor '{tensor}'", e.Message);
            Assert.Contains("element [2, 7]", e.Message);
            Assert.Contains("is NaN", e.Message);
        }
    }

    [Fact]
    public void ValidationStreamsTheWeightsInAFixedBuffer()
    {
        using var folder = new TempFolder();
        using (var model = LanguageModel.Random(ModelSpec.Llama(8192, 128, 256, 2, 4, context: 64), 1))
            model.Save(folder.Path);
        var weights = new FileInfo(folder.File(SafetensorsCheckpoint.SingleFileName)).Length; // ≈ 9 MB
        HfModelFolder.Validate(folder.File("config.json"), folder.File(SafetensorsCheckpoint.SingleFileName)); // warm up
        var before = GC.GetAllocatedBytesForCurrentThread();
        var (_, tensors, bytes) = HfModelFolder.Validate(folder.File("config.json"), folder.File(SafetensorsCheckpoint.SingleFileName));
        var allocated = GC.GetAllocatedBytesForCurrentThread() - before;
        output.WriteLine($"validated {bytes} bytes of weights in {tensors} tensors, allocating {allocated} bytes");
        Assert.Equal(weights, bytes + 8 + BinaryPrimitives.ReadInt64LittleEndian(File.ReadAllBytes(folder.File(SafetensorsCheckpoint.SingleFileName)).AsSpan(0, 8)));
        Assert.True(tensors > 10);
        Assert.True(allocated < weights / 4, $"validation allocated {allocated} bytes for {weights} bytes of weights");
    }

    [Fact]
    public void Llama2cExportLoadsBackExactlyAndItsNaNIsNamed()
    {
        using var folder = new TempFolder();
        var spec = TinyLlamas.Specs["gqa-untied"]; // untied, rope_theta 10000, rms_norm_eps 1e-5: what run.c computes
        using var model = LanguageModel.Random(spec, 4, std: 0.3);
        model.ExportLlama2c(folder.File("model.bin"));
        using var loaded = LanguageModel.Load(folder.File("model.bin"));
        var tokens = TinyLlamas.Tokens(spec, batch: 1, length: 6, seed: 2);
        Assert.Equal(TinyLlamas.Logits(model.Model, tokens), TinyLlamas.Logits(loaded.Model, tokens));

        var (checkedSpec, arrays, _) = Llama2cCheckpoint.Validate(folder.File("model.bin"));
        Assert.Equal(spec.HiddenSize, checkedSpec.HiddenSize);
        Assert.Equal(12, arrays); // 10 per-layer or embedding arrays, rms_final_weight, wcls (the rotary tables are recomputed)

        var bytes = File.ReadAllBytes(folder.File("model.bin"));
        BinaryPrimitives.WriteSingleLittleEndian(bytes.AsSpan(bytes.Length - 4), float.PositiveInfinity); // the last element of the last array
        File.WriteAllBytes(folder.File("model.bin"), bytes);
        var e = Assert.Throws<CheckpointException>(() => Llama2cCheckpoint.Validate(folder.File("model.bin")));
        Assert.Contains("tensor 'wcls'", e.Message);
        Assert.Contains($"element [{spec.VocabSize - 1}, {spec.HiddenSize - 1}]", e.Message);
        Assert.Contains("+Infinity", e.Message);
        Assert.Throws<CheckpointException>(() => LanguageModel.Load(folder.File("model.bin")).Dispose());
    }
}

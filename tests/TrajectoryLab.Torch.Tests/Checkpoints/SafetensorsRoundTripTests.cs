// Safetensors writer and reader: every supported dtype round-trips bit for bit, the header is padded and
// carries metadata, chunked tensor access lands in the right bytes, and sharded folders read through their index.
using System.Buffers.Binary;
using TrajectoryLab.Torch.Checkpoints;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Checkpoints;

public sealed class SafetensorsRoundTripTests
{
    [Theory]
    [InlineData(ScalarType.Float32)]
    [InlineData(ScalarType.Float16)]
    [InlineData(ScalarType.BFloat16)]
    [InlineData(ScalarType.Float64)]
    [InlineData(ScalarType.Int64)]
    public void EveryDTypeRoundTripsBitExactly(ScalarType type)
    {
        using var folder = new TempFolder();
        var path = folder.File("t.safetensors");
        using var scope = NewDisposeScope();
        manual_seed(1);
        var a = (randn(3, 5) * 100).to_type(type); // [3, 5]
        var b = (randn(7) * 100).to_type(type);    // [7]
        var scalar = tensor(2.5).to_type(type);    // []
        new SafetensorsWriter().Add("a", a).Add("b", b).Add("s", scalar).AddMetadata("format", "pt").Save(path);

        using var reader = SafetensorsReader.Open(path);
        Assert.Equal("pt", reader.Header.Metadata["format"]);
        Assert.Equal(["a", "b", "s"], reader.Header.Tensors.Select(t => t.Name));
        foreach (var (name, expected) in new[] { ("a", a), ("b", b), ("s", scalar) })
        {
            var read = reader.ReadTensor(name);
            Assert.Equal(expected.dtype, read.dtype);
            Assert.Equal(expected.shape, read.shape);
            Assert.Equal(expected.bytes.ToArray(), read.bytes.ToArray());
            read.Dispose();
        }
    }

    [Fact]
    public void HeaderIsPaddedToEightBytesAndArraysRoundTrip()
    {
        using var folder = new TempFolder();
        var path = folder.File("arrays.safetensors");
        float[] floats = [1f, -2.5f, 3e-8f, float.MaxValue, 0f, -0f];
        double[] doubles = [Math.PI, -1e300];
        new SafetensorsWriter().Add("f", floats, 2, 3).Add("d", doubles, 2).Save(path);

        var bytes = File.ReadAllBytes(path);
        var headerLength = (long)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        Assert.Equal(0, headerLength % 8);
        Assert.Equal(8 + headerLength + floats.Length * 4 + doubles.Length * 8, bytes.Length);

        using var reader = SafetensorsReader.Open(path);
        var f = new float[6];
        reader.ReadBytes("f", System.Runtime.InteropServices.MemoryMarshal.AsBytes(f.AsSpan()));
        Assert.Equal(floats, f);
        Assert.Equal([2L, 3L], reader.Entry("f").Shape);
        var d = new double[2];
        reader.ReadBytes("d", System.Runtime.InteropServices.MemoryMarshal.AsBytes(d.AsSpan()));
        Assert.Equal(doubles, d);
    }

    [Fact]
    public void ChunkedAccessWritesTheRightBytes()
    {
        using var t = zeros(10, dtype: ScalarType.Int64); // [10]
        var offsets = new List<long>();
        TensorBytes.Visit(t, (chunk, offset) =>
        {
            offsets.Add(offset);
            for (var i = 0; i < chunk.Length; i += 8) chunk[i] = (byte)((offset + i) / 8);
        }, chunkBytes: 24);
        Assert.Equal([0L, 24, 48, 72], offsets);
        Assert.Equal(Enumerable.Range(0, 10).Select(i => (long)i), t.data<long>().ToArray());
    }

    [Fact]
    public void ShardedFolderReadsThroughItsIndex()
    {
        using var folder = new TempFolder();
        new SafetensorsWriter().Add("x", new float[] { 1, 2 }, 2).Save(folder.File("model-00001-of-00002.safetensors"));
        new SafetensorsWriter().Add("y", new float[] { 3 }, 1).Add("z", new double[] { 4 }, 1).Save(folder.File("model-00002-of-00002.safetensors"));
        File.WriteAllText(folder.File(ShardIndex.FileName), """
            {"metadata": {"total_size": 20}, "weight_map": {"x": "model-00001-of-00002.safetensors",
             "y": "model-00002-of-00002.safetensors", "z": "model-00002-of-00002.safetensors"}}
            """);

        using var checkpoint = SafetensorsCheckpoint.Open(folder.Path);
        Assert.Equal(["x", "y", "z"], checkpoint.Names);
        using var z = checkpoint.ReadTensor("z");
        Assert.Equal(4.0, z.item<double>());
        Assert.EndsWith("model-00002-of-00002.safetensors", checkpoint.Find("y").Reader.FilePath);
    }
}

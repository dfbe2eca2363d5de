// Malformed safetensors input fails with a CheckpointException naming the file and the tensor at fault:
// truncation, overlapping or out-of-range offsets, absurd header lengths, unknown dtypes, index/shard disagreement.
using System.Buffers.Binary;
using System.Text;
using TrajectoryLab.Torch.Checkpoints;

namespace TrajectoryLab.Torch.Tests.Checkpoints;

public sealed class SafetensorsBadInputTests
{
    /// <summary>Writes a file with a hand-made header and <paramref name="dataLength"/> zero bytes of data.</summary>
    private static void WriteRaw(string path, string header, int dataLength, ulong? headerLengthOverride = null)
    {
        var json = Encoding.UTF8.GetBytes(header);
        var bytes = new byte[8 + json.Length + dataLength];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, headerLengthOverride ?? (ulong)json.Length);
        json.CopyTo(bytes, 8);
        File.WriteAllBytes(path, bytes);
    }

    private static CheckpointException OpenFails(string path, params string[] mentions)
    {
        var e = Assert.Throws<CheckpointException>(() => SafetensorsReader.Open(path).Dispose());
        Assert.Contains(path, e.Message);
        foreach (var m in mentions) Assert.Contains(m, e.Message);
        return e;
    }

    [Fact]
    public void MissingFileNamesTheFile()
    {
        using var folder = new TempFolder();
        OpenFails(folder.File("absent.safetensors"), "cannot open");
    }

    [Fact]
    public void TruncatedFileNamesTheTensorThatRunsPastTheEnd()
    {
        using var folder = new TempFolder();
        var path = folder.File("t.safetensors");
        new SafetensorsWriter().Add("first", new float[4], 4).Add("second", new float[4], 4).Save(path);
        var bytes = File.ReadAllBytes(path);
        File.WriteAllBytes(path, bytes[..^3]);
        OpenFails(path, "tensor 'second'", "run past the end");
    }

    [Fact]
    public void FileShorterThanTheLengthPrefixFails()
    {
        using var folder = new TempFolder();
        var path = folder.File("t.safetensors");
        File.WriteAllBytes(path, [1, 2, 3]);
        OpenFails(path, "shorter than the 8-byte header length");
    }

    [Fact]
    public void OverlappingOffsetsNameBothTensors()
    {
        using var folder = new TempFolder();
        var path = folder.File("t.safetensors");
        WriteRaw(path, """{"a":{"dtype":"F32","shape":[2],"data_offsets":[0,8]},"b":{"dtype":"F32","shape":[2],"data_offsets":[4,12]}}""", 12);
        OpenFails(path, "tensor 'b'", "overlap tensor 'a'");
    }

    [Fact]
    public void OffsetsPastTheEndNameTheTensor()
    {
        using var folder = new TempFolder();
        var path = folder.File("t.safetensors");
        WriteRaw(path, """{"w":{"dtype":"F32","shape":[4],"data_offsets":[0,16]}}""", 8);
        OpenFails(path, "tensor 'w'", "run past the end");
    }

    [Fact]
    public void GapBetweenTensorsIsRejected()
    {
        using var folder = new TempFolder();
        var path = folder.File("t.safetensors");
        WriteRaw(path, """{"a":{"dtype":"F32","shape":[1],"data_offsets":[0,4]},"b":{"dtype":"F32","shape":[1],"data_offsets":[8,12]}}""", 12);
        OpenFails(path, "bytes [4, 8)", "between 'a' and 'b'", "a header entry is missing");
    }

    [Fact]
    public void HugeHeaderLengthFailsWithoutAllocating()
    {
        using var folder = new TempFolder();
        var path = folder.File("t.safetensors");
        WriteRaw(path, "{}", 0, headerLengthOverride: ulong.MaxValue - 7);
        var before = GC.GetAllocatedBytesForCurrentThread();
        OpenFails(path, "header length", "runs past the end of the file");
        Assert.True(GC.GetAllocatedBytesForCurrentThread() - before < 1 << 20);
    }

    [Fact]
    public void UnknownDTypeNamesTheTensorAndTheDType()
    {
        using var folder = new TempFolder();
        var path = folder.File("t.safetensors");
        WriteRaw(path, """{"q":{"dtype":"F8_E4M3","shape":[4],"data_offsets":[0,4]}}""", 4);
        OpenFails(path, "tensor 'q'", "unsupported dtype 'F8_E4M3'");
    }

    [Fact]
    public void ByteLengthMustMatchShapeTimesDTypeSize()
    {
        using var folder = new TempFolder();
        var path = folder.File("t.safetensors");
        WriteRaw(path, """{"m":{"dtype":"BF16","shape":[2,3],"data_offsets":[0,8]}}""", 8);
        OpenFails(path, "tensor 'm'", "needs 12");
    }

    [Fact]
    public void InvalidJsonAndUncoveredTrailingBytesFail()
    {
        using var folder = new TempFolder();
        var path = folder.File("t.safetensors");
        WriteRaw(path, """{"m":{"dtype":"F32",""", 0);
        OpenFails(path, "not valid JSON");
        WriteRaw(path, """{"m":{"dtype":"F32","shape":[1],"data_offsets":[0,4]}}""", 8);
        OpenFails(path, "tensor 'm'", "cover 4 bytes but the data region holds 8");
    }

    [Fact]
    public void MetadataIsAllowedButMustHoldStrings()
    {
        using var folder = new TempFolder();
        var path = folder.File("t.safetensors");
        WriteRaw(path, """{"__metadata__":{"format":"pt"},"m":{"dtype":"F32","shape":[],"data_offsets":[0,4]}}""", 4);
        using (var reader = SafetensorsReader.Open(path)) Assert.Equal("pt", reader.Header.Metadata["format"]);
        WriteRaw(path, """{"__metadata__":{"n":3}}""", 0);
        OpenFails(path, "key '__metadata__.n'");
    }

    [Fact]
    public void IndexThatDisagreesWithItsShardsNamesTheTensor()
    {
        using var folder = new TempFolder();
        new SafetensorsWriter().Add("x", new float[1], 1).Save(folder.File("s1.safetensors"));
        File.WriteAllText(folder.File(ShardIndex.FileName), """{"weight_map": {"x": "s1.safetensors", "y": "s1.safetensors"}}""");
        var e = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(folder.Path).Dispose());
        Assert.Contains(ShardIndex.FileName, e.Message);
        Assert.Contains("tensor 'y'", e.Message);

        File.WriteAllText(folder.File(ShardIndex.FileName), """{"weight_map": {"x": "../s1.safetensors"}}""");
        e = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(folder.Path).Dispose());
        Assert.Contains("plain file name", e.Message);
    }

    [Fact]
    public void FolderWithoutWeightsNamesTheExpectedFile()
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<CheckpointException>(() => SafetensorsCheckpoint.Open(folder.Path).Dispose());
        Assert.Contains(SafetensorsCheckpoint.SingleFileName, e.Message);
    }
}

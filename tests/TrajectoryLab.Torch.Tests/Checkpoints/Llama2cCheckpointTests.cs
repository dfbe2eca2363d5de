// llama2.c .bin checkpoints: the loaded DecoderModel (half-split RoPE after the wq/wk row permutation) agrees with an
// independent reference that rotates interleaved pairs as run.c does, to 1e-4 relative; saved as a Hugging Face folder
// it loads back with identical logits; truncated files and impossible headers fail naming the file and array or field.
using System.Diagnostics;
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Models;
using TrajectoryLab.Torch.Tests.Reference;
using Xunit.Abstractions;

namespace TrajectoryLab.Torch.Tests.Checkpoints;

public sealed class Llama2cCheckpointTests(ITestOutputHelper output)
{
    private const double Tolerance = 1e-4;

    private static readonly Dictionary<string, Llama2cFile> Files = new()
    {
        ["mha-shared"] = new(dim: 32, hiddenDim: 48, layers: 2, heads: 4, kvHeads: 4, vocab: 37, seqLen: 16, shared: true, seed: 1),
        ["gqa-untied"] = new(dim: 32, hiddenDim: 40, layers: 2, heads: 4, kvHeads: 2, vocab: 41, seqLen: 12, shared: false, seed: 2),
    };

    public static TheoryData<string> Names => new(Files.Keys);

    [Theory]
    [MemberData(nameof(Names))]
    public void LoadedModelMatchesTheInterleavedReference(string config)
    {
        using var folder = new TempFolder();
        var file = Files[config];
        file.Write(folder.File("model.bin"));
        using var model = Llama2cCheckpoint.Load(folder.File("model.bin"));
        Assert.Equal((file.Vocab, file.SeqLen, file.Shared, file.KvHeads), (model.Spec.VocabSize, model.Spec.MaxPositionEmbeddings, model.Spec.TieWordEmbeddings, model.Spec.NumKvHeads));

        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 10, seed: 3);
        var reference = new ReferenceLlama2c(file);
        var errors = ParityChecks.LogitsErrors(model, tokens, (sequence, _) => reference.Forward(sequence));
        foreach (var error in errors)
        {
            output.WriteLine(FormattableString.Invariant($"{config}: logits relative error {error:E2}"));
            Assert.True(error < Tolerance, FormattableString.Invariant($"{config}: relative error {error:E2}"));
        }
    }

    [Theory]
    [MemberData(nameof(Names))]
    public void SavedAsHfFolderLoadsBackWithIdenticalLogits(string config)
    {
        using var folder = new TempFolder();
        Files[config].Write(folder.File("model.bin"));
        using var model = Llama2cCheckpoint.Load(folder.File("model.bin"));
        HfModelFolder.Save(model, folder.File("hf"));
        using var loaded = HfModelFolder.Load(folder.File("hf"));
        var tokens = TinyLlamas.Tokens(model.Spec, batch: 2, length: 10, seed: 4);
        Assert.Equal(TinyLlamas.Logits(model, tokens), TinyLlamas.Logits(loaded, tokens));
    }

    [Theory]
    [InlineData(4, "wcls")]
    [InlineData(8000, "w3")]
    [InlineData(100_000, "token_embedding_table")]
    public void TruncatedFileNamesFileAndArray(int bytesCut, string array)
    {
        using var folder = new TempFolder();
        var path = folder.File("model.bin");
        Files["gqa-untied"].Write(path);
        using (var stream = new FileStream(path, FileMode.Open)) stream.SetLength(Math.Max(Llama2cCheckpoint.HeaderBytes + 8, stream.Length - bytesCut));
        var e = Assert.Throws<CheckpointException>(() => Llama2cCheckpoint.Load(path).Dispose());
        Assert.Contains(path, e.Message);
        Assert.Contains($"tensor '{array}'", e.Message);
        Assert.Contains("beyond the file's", e.Message);
    }

    [Fact]
    public void AbsurdHeaderFailsBeforeAllocating()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.bin");
        const int huge = 1 << 30;
        Llama2cFile.WriteRaw(path, [huge, huge, huge, 2, 2, -huge, huge], [new float[16]]);
        var clock = Stopwatch.StartNew();
        var e = Assert.Throws<CheckpointException>(() => Llama2cCheckpoint.Load(path).Dispose());
        Assert.Contains(path, e.Message);
        Assert.Contains("tensor 'token_embedding_table'", e.Message);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(1), "validated by arithmetic, not by allocating and reading");
    }

    [Theory]
    [InlineData(new[] { 32, 48, 2, 0, 4, 37, 16 }, "header field 'n_heads'", "must be positive")]
    [InlineData(new[] { 30, 48, 2, 4, 4, 37, 16 }, "header field 'n_heads'", "heads of even size")]
    [InlineData(new[] { 32, 48, 2, 4, 3, 37, 16 }, "header field 'n_kv_heads'", "does not divide n_heads 4")]
    [InlineData(new[] { 32, 48, 2, 4, 4, 0, 16 }, "header field 'vocab_size'", "not a vocabulary size")]
    [InlineData(new[] { 32, 48, 2, 4, 4, 37, -1 }, "header field 'seq_len'", "must be positive")]
    [InlineData(new[] { 0x616b3432, 1, 32, 48, 2, 4, 4 }, "model.bin", "magic 'ak42'")]
    public void BadHeaderFieldsAreNamed(int[] header, string subject, string detail)
    {
        using var folder = new TempFolder();
        var path = folder.File("model.bin");
        Llama2cFile.WriteRaw(path, header, [new float[64]]);
        var e = Assert.Throws<CheckpointException>(() => Llama2cCheckpoint.Load(path).Dispose());
        Assert.Contains(path, e.Message);
        Assert.Contains(subject, e.Message);
        Assert.Contains(detail, e.Message);
    }

    [Fact]
    public void FileShorterThanTheHeaderIsNamed()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.bin");
        File.WriteAllBytes(path, new byte[10]);
        var e = Assert.Throws<CheckpointException>(() => Llama2cCheckpoint.Load(path).Dispose());
        Assert.Contains(path, e.Message);
        Assert.Contains("shorter than the 28-byte llama2.c header", e.Message);
    }

    [Fact]
    public void BytesAfterTheLastArrayAreRefused()
    {
        using var folder = new TempFolder();
        var path = folder.File("model.bin");
        Files["mha-shared"].Write(path);
        File.AppendAllText(path, "12345678");
        var e = Assert.Throws<CheckpointException>(() => Llama2cCheckpoint.Load(path).Dispose());
        Assert.Contains(path, e.Message);
        Assert.Contains("8 bytes follow the last array 'freq_cis_imag'", e.Message);
    }

    [Fact]
    public void MissingFileIsNamed()
    {
        using var folder = new TempFolder();
        var e = Assert.Throws<CheckpointException>(() => Llama2cCheckpoint.Load(folder.File("absent.bin")).Dispose());
        Assert.Contains(folder.File("absent.bin"), e.Message);
    }
}

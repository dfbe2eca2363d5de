// `trajectorylab compress` / `decompress` end to end: exact round trips with the shipped default model (models/brown-small,
// across its 255-token context restart) and with a tiny random model (64-token context, many restarts); refusals with
// exit code 2, one line naming the file and no output file for a wrong model, a truncated file, a flipped byte and a
// text the tokenizer cannot reproduce; and the payload's length against Σ −log₂(f/T) of the quantised tables, within
// the coder's proven bounds (Witten, Neal & Cleary 1987; see ArithmeticCoder).
using System.Text;
using TrajectoryLab.Cli.Tests.Models;
using TrajectoryLab.Core.Coding;
using TrajectoryLab.Experiments.CodeLength;
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Cli.Tests.Coding;

[Collection(ConsoleCollection.Name)]
public sealed class CompressCommandTests : IDisposable
{
    readonly string _work = Directory.CreateTempSubdirectory("tlab-coder-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    const string Brown =
        "The Fulton County Grand Jury said Friday an investigation of Atlanta's recent primary election produced \"no "
        + "evidence\" that any irregularities took place. The jury further said in term-end presentments that the City "
        + "Executive Committee, which had over-all charge of the election, deserves the praise and thanks of the City of "
        + "Atlanta for the manner in which the election was conducted.\n";

    static readonly string[] Texts =
    [
        "",
        "a",
        Brown,
        "Ünïcödé — “quotes”, tabs\tand\r\nCRLF lines; emoji 🙂 and 中文.\n",
        string.Concat(Enumerable.Repeat(Brown, 4)), // > 255 tokens: crosses brown-small's context restart
    ];

    string Write(string name, byte[] bytes)
    {
        var path = Path.Combine(_work, name);
        File.WriteAllBytes(path, bytes);
        return path;
    }

    string Tiny() => TinyModelFiles.HfFolder(Directory.CreateDirectory(Path.Combine(_work, "tiny")).FullName);

    void RoundTrip(string model, string text, int index)
    {
        var input = Write($"in{index}.txt", Encoding.UTF8.GetBytes(text));
        var (packed, back) = (Path.Combine(_work, $"in{index}.tlac"), Path.Combine(_work, $"out{index}.txt"));
        var c = CliHost.Run("compress", model, input, packed);
        Assert.True(c.Code == 0, c.Err);
        var d = CliHost.Run("decompress", model, packed, back);
        Assert.True(d.Code == 0, d.Err);
        Assert.Equal(File.ReadAllBytes(input), File.ReadAllBytes(back));
    }

    [Fact]
    public void Texts_round_trip_exactly_with_the_default_model()
    {
        for (var i = 0; i < Texts.Length; i++)
            RoundTrip("default", Texts[i], i);
    }

    [Fact]
    public void Texts_round_trip_exactly_with_a_tiny_random_model_across_many_context_restarts()
    {
        var tiny = Tiny();
        for (var i = 0; i < Texts.Length; i++)
            RoundTrip(tiny, Texts[i], i);
    }

    /// <summary>Compresses <see cref="Brown"/> with the tiny model; returns the compressed file's path.</summary>
    string Compressed()
    {
        var packed = Path.Combine(_work, "brown.tlac");
        var r = CliHost.Run("compress", Tiny(), Write("brown.txt", Encoding.UTF8.GetBytes(Brown)), packed);
        Assert.True(r.Code == 0, r.Err);
        return packed;
    }

    void AssertRefused(string model, string packed, string expected)
    {
        var output = Path.Combine(_work, "refused.txt");
        var (code, _, err) = CliHost.Run("decompress", model, packed, output);
        Assert.Equal(2, code);
        Assert.Single(err.Trim().Split('\n'));
        Assert.Contains(Path.GetFileName(packed), err);
        Assert.Contains(expected, err);
        Assert.DoesNotContain(" at ", err); // no stack trace
        Assert.False(File.Exists(output));
        Assert.Empty(Directory.EnumerateFiles(_work, "*.tmp"));
    }

    [Fact]
    public void A_file_compressed_with_another_model_is_refused()
    {
        AssertRefused("default", Compressed(), "another model");
    }

    [Fact]
    public void A_truncated_file_is_refused()
    {
        var packed = Compressed();
        var bytes = File.ReadAllBytes(packed);
        File.WriteAllBytes(packed, bytes[..^1]);
        AssertRefused(Path.Combine(_work, "tiny"), packed, "truncated");
        File.WriteAllBytes(packed, bytes[..100]);
        AssertRefused(Path.Combine(_work, "tiny"), packed, "truncated");
    }

    [Theory]
    [InlineData(45)] // the token count
    [InlineData(80)] // the text's checksum
    [InlineData(CompressedText.HeaderBytes + 3)] // the payload
    public void A_flipped_byte_is_refused(int offset)
    {
        var packed = Compressed();
        var bytes = File.ReadAllBytes(packed);
        bytes[offset] ^= 0x10;
        File.WriteAllBytes(packed, bytes);
        AssertRefused(Path.Combine(_work, "tiny"), packed, "corrupted");
    }

    [Fact]
    public void A_file_of_another_format_is_refused()
    {
        AssertRefused("default", Write("plain.tlac", Encoding.UTF8.GetBytes(Brown)), "not a file written by");
    }

    [Fact]
    public void Text_that_is_not_UTF8_is_refused_at_compression()
    {
        var output = Path.Combine(_work, "x.tlac");
        var (code, _, err) = CliHost.Run("compress", "default", Write("bad.txt", [0x41, 0xFF, 0x42]), output);
        Assert.Equal(2, code);
        Assert.Contains("bad.txt", err);
        Assert.Contains("not UTF-8", err);
        Assert.False(File.Exists(output));
    }

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void Payload_bits_agree_with_the_code_length_of_the_quantised_tables(bool defaultModel)
    {
        var folder = defaultModel
            ? Path.Combine(Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!, "models", "brown-small")
            : Tiny();
        var source = ModelSource.Resolve(folder);
        using var model = LanguageModel.Load(source);
        var tokenizer = source.LoadTokenizer(model.Spec.VocabSize)!;
        var text = Encoding.UTF8.GetBytes(string.Concat(Enumerable.Repeat(Brown, 3)));
        Assert.Null(TextCompressor.Tokenize(text, tokenizer, out var ids));
        using var coding = new LanguageModelCoding("m", model);
        var (file, coded) = TextCompressor.Compress(text, ids, coding, ModelContentHash.Of(source), TextCompressor.StartToken(tokenizer));

        // Upper: 8·payload ≤ Σ [−log₂(f/T) − log₂(1 − T/(2^30 f))] + 9. Lower: bits > Σ [−log₂(f/T) − log₂(1 + T/(2^30 f))]
        // (R' ≤ R·f/T + 1 with R > 2^30). Both within a few bits of Σ −log₂(f/T) for this text.
        var lower = coded.IdealBits - coded.TokenBits.Sum(b => Math.Log2(1 + Math.Pow(2, b - 30)));
        Assert.InRange(8.0 * file.Payload.Length, lower, coded.BoundBits);
        Assert.InRange(coded.Bits, lower, coded.BoundBits);
        Assert.InRange(coded.BoundBits - coded.IdealBits, 9, 9 + 0.05 * ids.Length / 64.0 + 1);
        Assert.Equal(coded.IdealBits, coded.TokenBits.Sum(), 1e-6);
        Assert.Equal((coded.Bits + 7) / 8, file.Payload.Length);
    }
}

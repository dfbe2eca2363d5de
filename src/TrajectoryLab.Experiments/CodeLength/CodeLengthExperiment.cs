// code-length: loss is code length. Brown validation documents are arithmetic-coded (Witten, Neal & Cleary 1987) with a
// language model's next-token distribution (models/brown-small by default), and with the add-k unigram and bigram models
// fitted on the training split, through the same tokenizer; each file's size is set beside the model's Σ −log₂ p of the
// quantised tables (they must agree to 0.1 % plus a few bytes) and beside gzip -9, xz -9 and zstd -19 on the same bytes.
// Every file is decoded again and compared with the original. Reference: Delétang et al. 2024, "Language Modeling Is
// Compression" (ICLR); MacKay 2003, "Information Theory, Inference, and Learning Algorithms", ch. 6.
using System.Diagnostics;
using System.Security.Cryptography;
using System.Text;
using TrajectoryLab.Core.Coding;
using TrajectoryLab.Core.Corpus;
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Tokenizers;
using TrajectoryLab.Torch.Training;

namespace TrajectoryLab.Experiments.CodeLength;

/// <summary>Compresses texts with a language model and n-gram models as coders, and with general-purpose compressors.</summary>
/// <param name="paths">The project paths (to find the model and the corpus).</param>
public sealed class CodeLengthExperiment(ProjectPaths paths) : Experiment<CodeLengthOptions, CodeLengthResult>
{
    /// <inheritdoc/>
    public override string Kind => "code-length";

    /// <inheritdoc/>
    public override CodeLengthResult Measure(CodeLengthOptions o, IMeasureContext run)
    {
        var source = ModelLocator.Resolve(o.Model.Name, o.Model.Tokenizer, paths);
        var hash = ModelContentHash.Of(source);
        using var model = run.Phase("load", () => LanguageModel.Load(source, o.Model.Options with { Device = "cpu", DType = "float32" }));
        var tokenizer = ModelPair.TokenizerOf(source, model.Spec.VocabSize);
        var start = TextCompressor.StartToken(tokenizer);
        var texts = run.Phase("texts", () => Texts(o, tokenizer));
        if (texts.Count == 0)
            throw new ArgumentException("texts: no text the model's tokenizer reproduces exactly");

        var label = Label(o.Model.Name, source.Path);
        var coders = new List<(string Name, byte[] Hash, Func<ICodingModel> Open)>
        {
            (label, hash, () => new LanguageModelCoding(label, model)),
        };
        LanguageModel? random = null;
        try
        {
            if (o.Model.CompareRandom)
            {
                random = LanguageModel.Random(model.Spec, o.Model.RandomSeed, new ModelOptions { Cache = model.Cache });
                coders.Add(("random init", new byte[32], () => new LanguageModelCoding("random init", random)));
            }
            long ngramTokens = 0;
            if (o.NGrams)
            {
                var train = run.Phase("n-gram counts", () => TrainingTokens(o, tokenizer, start));
                ngramTokens = train.Length;
                var counts = new NGramBaseline(train, model.Spec.VocabSize, o.AddK);
                foreach (var bigram in new[] { false, true })
                {
                    var name = new NGramCoding(counts, model.Spec.VocabSize, bigram).Name;
                    coders.Add(
                        (name, SHA256.HashData(Encoding.UTF8.GetBytes(name)), () => new NGramCoding(counts, model.Spec.VocabSize, bigram))
                    );
                }
            }

            var coded = new List<Coding>();
            var curves = new List<CodeLengthCurve>();
            run.Phase("code", () =>
            {
                using var progress = run.Progress("tokens coded", (long)coders.Count * texts.Sum(t => t.Ids.Length) * (o.Verify ? 2 : 1));
                foreach (var coder in coders)
                foreach (var text in texts)
                {
                    var (row, curve) = Code(o, coder, text, tokenizer, start, run.Cancellation);
                    coded.Add(row);
                    curves.Add(curve);
                    progress.Advance(text.Ids.Length * (o.Verify ? 2 : 1));
                }
            });
            var baselines = o.Baselines
                ? run.Phase("baselines", () =>
                    texts.SelectMany(t => GeneralCompressors.All.Select(c => c.Compress(t.Name, t.Bytes))).ToList()
                )
                : [];
            return new CodeLengthResult(
                ModelFacts.Of(o.Model.Name, source.Path, model),
                [.. texts.Select(t => new CodedDocument(t.Name, t.Bytes.Length, t.Ids.Length))],
                coded,
                baselines,
                curves,
                ngramTokens,
                LanguageModelCoding.Threads
            );
        }
        finally
        {
            random?.Dispose();
        }
    }

    /// <inheritdoc/>
    public override void Report(CodeLengthOptions o, CodeLengthResult result, RunContext run) => CodeLengthReport.Render(o, result, run);

    /// <summary>A text to code: its name, bytes and token ids.</summary>
    private sealed record Text(string Name, byte[] Bytes, int[] Ids);

    private static (Coding, CodeLengthCurve) Code(
        CodeLengthOptions o,
        (string Name, byte[] Hash, Func<ICodingModel> Open) coder,
        Text text,
        ITextTokenizer tokenizer,
        int start,
        CancellationToken cancellation
    )
    {
        var clock = Stopwatch.StartNew();
        CompressedText file;
        EncodedTokens tokens;
        using (var model = coder.Open())
            (file, tokens) = TextCompressor.Compress(text.Bytes, text.Ids, model, coder.Hash, start, cancellation);
        var bytes = file.ToBytes();
        var encode = clock.Elapsed.TotalSeconds;
        var (decode, roundTrip) = (double.NaN, "not checked");
        if (o.Verify)
        {
            clock.Restart();
            using var model = coder.Open();
            try
            {
                var back = TextCompressor.Decompress(
                    CompressedText.Parse(bytes, text.Name),
                    text.Name,
                    model,
                    tokenizer,
                    coder.Hash,
                    cancellation
                );
                roundTrip = back.AsSpan().SequenceEqual(text.Bytes) ? "exact" : "differs";
            }
            catch (CompressedTextException)
            {
                roundTrip = "differs";
            }
            decode = clock.Elapsed.TotalSeconds;
        }
        var row = new Coding(
            coder.Name,
            text.Name,
            text.Bytes.Length,
            text.Ids.Length,
            bytes.Length,
            file.Payload.Length,
            tokens.Bits,
            tokens.IdealBits,
            tokens.BoundBits,
            encode,
            decode,
            roundTrip
        );
        return (row, Curve(o, coder.Name, text, tokens.TokenBits, tokenizer));
    }

    /// <summary>Cumulative bits against the bytes of the decoded prefix, at up to CurvePoints evenly spaced token counts.</summary>
    private static CodeLengthCurve Curve(CodeLengthOptions o, string coder, Text text, double[] bits, ITextTokenizer tokenizer)
    {
        var n = text.Ids.Length;
        var points = Math.Min(o.CurvePoints, n);
        var (x, y) = (new double[points + 1], new double[points + 1]);
        var (k, sum) = (0, 0.0);
        for (var p = 1; p <= points; p++)
        {
            var upTo = (int)((long)n * p / points);
            for (; k < upTo; k++)
                sum += bits[k];
            (x[p], y[p]) = (Encoding.UTF8.GetByteCount(tokenizer.Decode(text.Ids.AsSpan(0, upTo))), sum);
        }
        return new CodeLengthCurve(coder, text.Name, x, y);
    }

    /// <summary>The texts to code: inline, or the first validation documents cut to MaxBytes; those the tokenizer does not
    /// reproduce exactly are left out.</summary>
    private IReadOnlyList<Text> Texts(CodeLengthOptions o, ITextTokenizer tokenizer)
    {
        IEnumerable<(string Name, string Text)> raw =
            o.Texts.Length > 0
                ? o.Texts.Select((t, i) => ($"text {i + 1}", t))
                : Split(o).Validation.Take(o.Documents).Select(d => (d.Id, d.Text));
        var texts = new List<Text>();
        foreach (var (name, text) in raw)
        {
            var bytes = Cut(Encoding.UTF8.GetBytes(text), o.MaxBytes);
            if (TextCompressor.Tokenize(bytes, tokenizer, out var ids) is null)
                texts.Add(new Text(name, bytes, ids));
        }
        return texts;
    }

    private (IReadOnlyList<CorpusDocument> Train, IReadOnlyList<CorpusDocument> Validation) Split(CodeLengthOptions o)
    {
        var corpus = CorpusSource.Load(CorpusPath(o.Corpus), paths.Root);
        var split = DocumentSplit.ByDocument(corpus, o.ValidationFraction, o.SplitSeed);
        return (split.Train, split.Validation);
    }

    /// <summary>The n-grams' training stream: the training documents' ids with the end-of-text id between them.</summary>
    private int[] TrainingTokens(CodeLengthOptions o, ITextTokenizer tokenizer, int start)
    {
        var ids = new List<int>();
        var train = Split(o).Train;
        foreach (var d in o.NGramDocuments > 0 ? train.Take(o.NGramDocuments) : train)
        {
            ids.AddRange(tokenizer.Encode(d.Text));
            ids.Add(tokenizer.EosId ?? start);
        }
        return [.. ids];
    }

    /// <summary>"brown", or a corpus path as written: from the current directory if something is there, else from the
    /// repository root.</summary>
    private string CorpusPath(string corpus) =>
        string.Equals(corpus, CorpusSource.Brown, StringComparison.OrdinalIgnoreCase) || Path.IsPathRooted(corpus) || Path.Exists(corpus)
            ? corpus
            : Path.Combine(paths.Root, corpus);

    /// <summary>The coder's name: the model folder's (or file's) name, e.g. brown-small for "default".</summary>
    internal static string Label(string name, string path)
    {
        var file = Path.GetFileName(Path.TrimEndingDirectorySeparator(path));
        return string.IsNullOrEmpty(file) ? name : file;
    }

    /// <summary>At most <paramref name="max"/> bytes, cut after the last line break (else space) that keeps within it.</summary>
    internal static byte[] Cut(byte[] bytes, int max)
    {
        if (bytes.Length <= max)
            return bytes;
        var end = Array.LastIndexOf(bytes, (byte)'\n', max - 1);
        if (end < max / 2)
            end = Array.LastIndexOf(bytes, (byte)' ', max - 1);
        if (end < 1)
            end = max;
        while (end > 0 && (bytes[end] & 0xC0) == 0x80)
            end--; // not inside a UTF-8 sequence
        return bytes[..end];
    }
}

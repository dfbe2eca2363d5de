// Renders code-length: bits per byte for each coder (the whole file and the payload alone) next to the model's
// Σ −log₂ p and the general-purpose compressors, the check that every payload agrees with Σ −log₂(f/T) within 0.1 % plus
// 4 bytes a document, the round trips, the speeds, and cumulative code length along the first document.
// References: Delétang et al. 2024, "Language Modeling Is Compression" (ICLR); Witten, Neal & Cleary 1987 (CACM 30(6)).
using TrajectoryLab.Core.Coding;
using TrajectoryLab.Reporting.Figures;
using TrajectoryLab.Reporting.Reports;
using static TrajectoryLab.Experiments.Shared.ReportText;
using static TrajectoryLab.Reporting.Figures.SeriesColors;

namespace TrajectoryLab.Experiments.CodeLength;

/// <summary>One coder or compressor over every document (a row of coders.csv).</summary>
/// <param name="Coder">The coder or compressor.</param>
/// <param name="Kind">"language model", "n-gram" or "general-purpose".</param>
/// <param name="Bytes">Original bytes, all documents.</param>
/// <param name="FileBytes">Compressed bytes, headers included.</param>
/// <param name="PayloadBytes">Compressed bytes without the headers (the compressor's whole output for general-purpose ones).</param>
/// <param name="BitsPerByteFile">8 · FileBytes / Bytes.</param>
/// <param name="BitsPerBytePayload">8 · PayloadBytes / Bytes.</param>
/// <param name="IdealBitsPerByte">Σ −log₂(f/T) / Bytes (NaN for general-purpose compressors).</param>
/// <param name="BitsPerToken">Σ −log₂(f/T) / tokens (NaN for general-purpose compressors).</param>
/// <param name="EncodeKbPerSecond">Original KB (1024 B) per second of encoding.</param>
/// <param name="DecodeKbPerSecond">Original KB per second of decoding (NaN where not measured).</param>
/// <param name="RoundTrip">"exact" when every document decoded to its bytes, "differs", or "not checked".</param>
public sealed record CoderRow(
    string Coder,
    string Kind,
    long Bytes,
    long FileBytes,
    long PayloadBytes,
    double BitsPerByteFile,
    double BitsPerBytePayload,
    double IdealBitsPerByte,
    double BitsPerToken,
    double EncodeKbPerSecond,
    double DecodeKbPerSecond,
    string RoundTrip
);

/// <summary>One point of a cumulative code-length curve (a row of curves.csv).</summary>
/// <param name="Coder">The coder.</param>
/// <param name="Document">The document.</param>
/// <param name="Bytes">Bytes of the decoded prefix.</param>
/// <param name="Bits">Σ −log₂(f/T) of its tokens.</param>
public sealed record CurveRow(string Coder, string Document, double Bytes, double Bits);

/// <summary>Renders a <see cref="CodeLengthResult"/>.</summary>
public static class CodeLengthReport
{
    /// <summary>Payload bits may differ from Σ −log₂(f/T) by this fraction … (the proven excess is at most 9 bits per text
    /// plus Σ −log₂(1 − T/(2^30 f)), under 0.023 bit a token and ≈ 0 for plausible tokens; measured on the default
    /// configuration: 0.03 % over 4 texts, most of it the padding and terminating bits).</summary>
    public const double RelativeTolerance = 1e-3;

    /// <summary>… plus this many bytes per document (the coder's 2 terminating bits and padding fit in 2).</summary>
    public const int BytesPerDocument = 4;

    /// <summary>The per-coder rows, language model first, then n-grams, then the general-purpose compressors.</summary>
    public static IReadOnlyList<CoderRow> Rows(CodeLengthResult r)
    {
        var rows = new List<CoderRow>();
        foreach (var g in r.Coded.GroupBy(c => c.Coder))
        {
            var bytes = g.Sum(c => c.Bytes);
            var tokens = g.Sum(c => (long)c.Tokens);
            var ideal = g.Sum(c => c.IdealBits);
            var decode = g.Any(c => double.IsNaN(c.DecodeSeconds)) ? double.NaN : bytes / 1024.0 / g.Sum(c => c.DecodeSeconds);
            rows.Add(
                new CoderRow(
                    g.Key,
                    g.Key.StartsWith("unigram", StringComparison.Ordinal) || g.Key.StartsWith("bigram", StringComparison.Ordinal)
                        ? "n-gram"
                        : "language model",
                    bytes,
                    g.Sum(c => c.FileBytes),
                    g.Sum(c => c.PayloadBytes),
                    8.0 * g.Sum(c => c.FileBytes) / bytes,
                    8.0 * g.Sum(c => c.PayloadBytes) / bytes,
                    ideal / bytes,
                    ideal / tokens,
                    bytes / 1024.0 / g.Sum(c => c.EncodeSeconds),
                    decode,
                    g.All(c => c.RoundTrip == "exact") ? "exact"
                        : g.Any(c => c.RoundTrip == "differs") ? "differs"
                        : "not checked"
                )
            );
        }
        foreach (var g in r.Baselines.GroupBy(b => b.Compressor))
        {
            var bytes = g.Sum(b => b.Bytes);
            var output = g.Sum(b => b.CompressedBytes);
            rows.Add(
                new CoderRow(
                    g.Key,
                    "general-purpose",
                    bytes,
                    output,
                    output,
                    8.0 * output / bytes,
                    8.0 * output / bytes,
                    double.NaN,
                    double.NaN,
                    bytes / 1024.0 / g.Sum(b => b.Seconds),
                    double.NaN,
                    "not checked"
                )
            );
        }
        return rows;
    }

    /// <summary>Writes the tables, figures, checks and headlines of <paramref name="result"/>.</summary>
    public static void Render(CodeLengthOptions o, CodeLengthResult result, RunContext run)
    {
        var rows = Rows(result);
        var m = result.Model;
        var name = CodeLengthExperiment.Label(m.Name, m.Path);
        var bytes = result.Documents.Sum(d => d.Bytes);
        var tokens = result.Documents.Sum(d => (long)d.Tokens);
        run.Report.Lead(
            $"Loss is code length: {F(result.Documents.Count)} text(s) ({F(bytes)} bytes, {F(tokens)} tokens of {name}'s tokenizer"
                + (o.Texts.Length > 0 ? ", inline" : $", the first {F(o.MaxBytes)} bytes of {o.Corpus} validation documents")
                + $") arithmetic-coded with the next-token distribution of {name} ({m.Path}; {m.Architecture}, {F(m.Layers)} layers, "
                + $"d_model {F(m.Width)}; float32 softmax on the CPU, batch 1, one token per pass, libtorch on {F(result.Threads)} "
                + $"thread(s), context restarted from BOS every n_ctx − 1 tokens)"
                + (
                    result.NGramTokens > 0
                        ? $", and with the add-{F(o.AddK)} unigram and bigram counted on {F(result.NGramTokens)} training tokens"
                        : ""
                )
                + $". Probabilities are quantised to integer frequencies summing to T = 2^24 (every token ≥ 1); the coder is "
                + "Witten, Neal & Cleary's with 32-bit code values. A file is a 156-byte header (magic, version, the model's "
                + "SHA-256 content hash, counts, SHA-256 checksums) and the payload. See docs/code-length.md."
        );

        run.Table("coders", rows);
        run.Table("documents", result.Coded);
        if (result.Baselines.Count > 0)
            run.Table("baselines", result.Baselines);
        run.Table("curves", result.Curves.SelectMany(c => c.Bytes.Zip(c.Bits, (x, y) => new CurveRow(c.Coder, c.Document, x, y))));

        run.Report.Section(
            "Bits per byte",
            "Compressed bits per original byte, all texts together. The whole file includes the 156-byte header per text; "
                + "the payload is the arithmetic code alone. Σ −log₂ p is the model's code length under the quantised tables, "
                + "the number the payload must match. General-purpose compressors: their whole output."
        );
        run.Report.Numbers(
            [
                .. rows.Select(r => new KeyValue(
                    r.Coder,
                    r.Kind == "general-purpose"
                        ? $"{F(r.BitsPerByteFile, "F3")} bits/byte ({F(r.FileBytes)} bytes), {F(r.EncodeKbPerSecond, "F1")} KB/s"
                        : $"{F(r.BitsPerBytePayload, "F3")} bits/byte payload, {F(r.BitsPerByteFile, "F3")} with headers, "
                            + $"Σ −log₂ p {F(r.IdealBitsPerByte, "F3")} bits/byte ({F(r.BitsPerToken, "F3")} bits/token); "
                            + $"encode {F(r.EncodeKbPerSecond, "F2")} KB/s, decode {F(r.DecodeKbPerSecond, "F2")} KB/s; "
                            + $"round trip {r.RoundTrip}"
                )),
            ],
            "Per coder"
        );
        var implementations = result.Baselines.Select(b => $"{b.Compressor}: {b.Implementation}").Distinct().ToList();
        if (implementations.Count > 0)
            run.Report.Paragraph("General-purpose compressors run: " + string.Join("; ", implementations) + ".");
        run.Report.Figure(run.Figure(Bars(rows)));

        run.Report.Section(
            "Payload against Σ −log₂ p",
            $"The coder's proven bound: 8 × payload bytes ≤ Σ [−log₂(f/T) − log₂(1 − T/(2^30 f))] + 9 bits. The check: "
                + $"payload bits within {F(RelativeTolerance * 100)} % of Σ −log₂(f/T) plus {F(BytesPerDocument)} bytes per text."
        );
        var checks = new List<Comparison>();
        foreach (var g in result.Coded.GroupBy(c => c.Coder))
        {
            var ideal = g.Sum(c => c.IdealBits);
            checks.Add(
                new Comparison(
                    $"{g.Key}: payload bits vs Σ −log₂(f/T)",
                    8.0 * g.Sum(c => c.PayloadBytes),
                    ideal,
                    RelativeTolerance * ideal + 8.0 * BytesPerDocument * g.Count()
                )
            );
            checks.Add(
                new Comparison(
                    $"{g.Key}: payload bits ≤ proven bound (1 = yes)",
                    g.All(c => 8.0 * c.PayloadBytes <= c.BoundBits) ? 1 : 0,
                    1,
                    0
                )
            );
            if (o.Verify)
                checks.Add(new Comparison($"{g.Key}: texts decoded exactly", g.Count(c => c.RoundTrip == "exact"), g.Count(), 0));
        }
        run.Report.Checks(checks);
        var pass = checks.All(c => c.Pass);
        run.Report.Paragraph($"Every check: {(pass ? "pass" : "FAIL")}.");
        run.Headline("code length agrees with Σ −log₂ p", pass ? "pass" : "fail");

        if (result.Curves.Count > 0)
        {
            var first = result.Documents[0].Name;
            run.Report.Section(
                "Along a document",
                $"Cumulative code length Σ −log₂(f/T) against the bytes of the decoded prefix, text {first}; the slope is the "
                    + "local bits per byte. Dashed: the general-purpose compressors' whole-document bits per byte, as straight lines."
            );
            var curves = result.Curves.Where(c => c.Document == first).ToList();
            var series = new List<FigureSeries>();
            for (var i = 0; i < curves.Count; i++)
                series.Add(new LineSeries(curves[i].Coder, curves[i].Bytes, curves[i].Bits) { Color = Palette[i % Palette.Length] });
            var end = curves.Max(c => c.Bytes[^1]);
            var general = result.Baselines.Where(b => b.Document == first).ToList();
            for (var i = 0; i < general.Count; i++)
                series.Add(
                    new LineSeries(
                        $"{general[i].Compressor} (its average)",
                        [0, end],
                        [0, 8.0 * general[i].CompressedBytes / general[i].Bytes * end]
                    )
                    {
                        Dashed = true,
                        Color = Palette[(curves.Count + i) % Palette.Length],
                    }
                );
            run.Report.Figure(
                run.Figure(
                    new Figure("cumulative-bits", $"Cumulative code length along {first}", new Axis("bytes of text"), new Axis("bits"))
                    {
                        Series = series,
                        Legend = LegendPosition.TopLeft,
                    }
                )
            );
        }

        foreach (var r in rows)
        {
            run.Headline($"{r.Coder}: bits per byte", r.Kind == "general-purpose" ? r.BitsPerByteFile : r.BitsPerBytePayload);
            if (r.Kind != "general-purpose")
            {
                run.Headline($"{r.Coder}: bits per byte with headers", r.BitsPerByteFile);
                run.Headline($"{r.Coder}: Σ −log₂ p bits per byte", r.IdealBitsPerByte);
            }
            run.Headline($"{r.Coder}: encode KB/s (wall)", r.EncodeKbPerSecond);
        }
    }

    private static Figure Bars(IReadOnlyList<CoderRow> rows)
    {
        var series = new List<FigureSeries>();
        for (var i = 0; i < rows.Count; i++)
        {
            var r = rows[i];
            var value = r.Kind == "general-purpose" ? r.BitsPerByteFile : r.BitsPerBytePayload;
            series.Add(
                new HistogramSeries($"{r.Coder}: {F(value, "F3")}", [i + 0.6, i + 1.4], [value]) { Color = Palette[i % Palette.Length] }
            );
        }
        var header = rows.Select((r, i) => (r, i)).Where(x => x.r.Kind != "general-purpose").ToList();
        series.Add(
            new ScatterSeries("with headers", [.. header.Select(x => x.i + 1.0)], [.. header.Select(x => x.r.BitsPerByteFile)])
            {
                MarkerSize = 4,
                Color = "#000000",
            }
        );
        return new Figure(
            "bits-per-byte",
            "Compressed bits per byte, per coder",
            new Axis("coder (see legend)") { Min = 0, Max = rows.Count + 1 },
            new Axis("bits per byte") { Min = 0 }
        )
        {
            Series = series,
            Legend = LegendPosition.OutsideRight,
        };
    }
}

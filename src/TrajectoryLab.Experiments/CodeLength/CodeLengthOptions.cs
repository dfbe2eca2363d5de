// Options of code-length: which model codes which texts (Brown validation documents, cut to a byte budget, or inline
// texts), the add-k n-gram coders and the training documents they are fitted on, whether every file is decoded again
// to check the round trip, and whether the general-purpose compressors (gzip, xz, zstd) run on the same bytes.
// References: Delétang et al. 2024, "Language Modeling Is Compression" (ICLR); Witten, Neal & Cleary 1987 (CACM 30(6)).
using System.ComponentModel.DataAnnotations;
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Experiments.CodeLength;

/// <summary>Options of <c>code-length</c>.</summary>
public sealed class CodeLengthOptions : ExperimentOptions, IPreflight
{
    /// <summary>The language model used as coder ("default": models/brown-small); its random twin codes too when
    /// compareRandom is set. Coding always runs on the CPU in float32 (the decoder must see the same floats).</summary>
    [Required]
    public ModelChoice Model { get; set; } = new() { CompareRandom = false };

    /// <summary>Inline texts; when nonempty they are coded instead of corpus documents.</summary>
    public string[] Texts { get; set; } = [];

    /// <summary>"brown" (its validation split, train-brown's) or a plain-text file or folder.</summary>
    [Required]
    public string Corpus { get; set; } = CorpusSource.Brown;

    /// <summary>The validation fraction of the split (train-brown's).</summary>
    [Range(0.001, 0.5)]
    public double ValidationFraction { get; set; } = 0.1;

    /// <summary>The seed of the split (train-brown's).</summary>
    [Range(0, int.MaxValue)]
    public int SplitSeed { get; set; } = 42;

    /// <summary>How many validation documents to code.</summary>
    [Range(1, 10_000)]
    public int Documents { get; set; } = 4;

    /// <summary>Bytes of each document coded at most (cut at the last line break or space before the limit).</summary>
    [Range(16, 100_000_000)]
    public int MaxBytes { get; set; } = 4096;

    /// <summary>Code with the add-k unigram and bigram models too.</summary>
    public bool NGrams { get; set; } = true;

    /// <summary>k of the add-k n-gram coders (train-brown's baselines use 0.1).</summary>
    [Range(1e-9, 1e9)]
    public double AddK { get; set; } = 0.1;

    /// <summary>Training documents the n-grams are counted on (the split's training side, in order); 0 for all of them.</summary>
    [Range(0, 1_000_000)]
    public int NGramDocuments { get; set; }

    /// <summary>Decode every file again and check it gives the original bytes (doubles the model's time).</summary>
    public bool Verify { get; set; } = true;

    /// <summary>Run gzip -9, xz -9 and zstd -19 (or .NET's GZip/Brotli where a tool is absent) on the same bytes.</summary>
    public bool Baselines { get; set; } = true;

    /// <summary>Points of the cumulative-code-length curve per document (at most).</summary>
    [Range(2, 100_000)]
    public int CurvePoints { get; set; } = 200;

    /// <inheritdoc/>
    public (string Key, string Problem)? Check(ProjectPaths paths)
    {
        if (Model.Check(paths, out var model) is { } problem)
            return problem;
        if (model!.Tokenizer is null)
            return ("model:name", $"{model.Source.Path} has no tokenizer; code-length codes text through one");
        if (Model.Device != "cpu" || Model.DType != "float32")
            return ("model:device", "code-length codes on the CPU in float32 (the decoder must reproduce the encoder's floats)");
        return null;
    }
}

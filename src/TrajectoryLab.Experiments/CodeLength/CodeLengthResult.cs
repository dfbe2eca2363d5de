// What code-length measured: per coder (the language model, its random twin, the add-k unigram and bigram) and per
// document the compressed file's size with and without its header, the payload's bits, Σ −log₂(f/T) of the quantised
// tables and the coder's proven bound, the times to encode and decode and whether decoding gave the bytes back; per
// general-purpose compressor and document the compressed size and time; and cumulative code-length curves along each
// document. Reference: Delétang et al. 2024, "Language Modeling Is Compression" (ICLR).
namespace TrajectoryLab.Experiments.CodeLength;

/// <summary>The measurement of one code-length run.</summary>
/// <param name="Model">The language model that coded.</param>
/// <param name="Documents">The coded texts.</param>
/// <param name="Coded">Every (coder, document) coding.</param>
/// <param name="Baselines">Every (compressor, document) general-purpose compression.</param>
/// <param name="Curves">Cumulative code length along each document, per coder.</param>
/// <param name="NGramTokens">Training tokens the n-grams were counted on (0 without n-grams).</param>
/// <param name="Threads">libtorch threads while the model coded.</param>
public sealed record CodeLengthResult(
    ModelFacts Model,
    IReadOnlyList<CodedDocument> Documents,
    IReadOnlyList<Coding> Coded,
    IReadOnlyList<BaselineCompression> Baselines,
    IReadOnlyList<CodeLengthCurve> Curves,
    long NGramTokens,
    int Threads
);

/// <summary>One coded text.</summary>
/// <param name="Name">Document id or "text N".</param>
/// <param name="Bytes">Its length in bytes (UTF-8).</param>
/// <param name="Tokens">Its token count under the model's tokenizer.</param>
public sealed record CodedDocument(string Name, long Bytes, int Tokens);

/// <summary>One document compressed by one coder.</summary>
/// <param name="Coder">The coder's name.</param>
/// <param name="Document">The document's name.</param>
/// <param name="Bytes">Original bytes.</param>
/// <param name="Tokens">Tokens coded.</param>
/// <param name="FileBytes">The compressed file, header included.</param>
/// <param name="PayloadBytes">The payload alone.</param>
/// <param name="PayloadBits">The payload's bits before byte padding.</param>
/// <param name="IdealBits">Σ −log₂(f_i/T) of the coded tokens.</param>
/// <param name="BoundBits">The coder's proven upper bound on 8 × payload bytes.</param>
/// <param name="EncodeSeconds">Wall time to encode (model passes included).</param>
/// <param name="DecodeSeconds">Wall time to decode, NaN when not verified.</param>
/// <param name="RoundTrip">"exact", "differs" or "not checked".</param>
public sealed record Coding(
    string Coder,
    string Document,
    long Bytes,
    int Tokens,
    long FileBytes,
    long PayloadBytes,
    long PayloadBits,
    double IdealBits,
    double BoundBits,
    double EncodeSeconds,
    double DecodeSeconds,
    string RoundTrip
);

/// <summary>One document compressed by a general-purpose compressor.</summary>
/// <param name="Compressor">E.g. "gzip -9".</param>
/// <param name="Implementation">What ran: the tool's path and version line, or the .NET stand-in.</param>
/// <param name="Document">The document's name.</param>
/// <param name="Bytes">Original bytes.</param>
/// <param name="CompressedBytes">Its output's length.</param>
/// <param name="Seconds">Wall time (a tool's includes starting its process).</param>
public sealed record BaselineCompression(
    string Compressor,
    string Implementation,
    string Document,
    long Bytes,
    long CompressedBytes,
    double Seconds
);

/// <summary>Cumulative code length along one document for one coder.</summary>
/// <param name="Coder">The coder.</param>
/// <param name="Document">The document.</param>
/// <param name="Bytes">Bytes of the text decoded from the first tokens, at each point.</param>
/// <param name="Bits">Σ −log₂(f/T) of those tokens, at each point.</param>
public sealed record CodeLengthCurve(string Coder, string Document, double[] Bytes, double[] Bits);

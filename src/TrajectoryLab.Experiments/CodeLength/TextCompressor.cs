// Text ⇄ compressed file with a model as the coder: UTF-8 bytes → text → the model's tokenizer → arithmetic-coded ids
// (TextCoder) → CompressedText, and back. The text is coded only if the tokenizer round-trips it exactly
// (UTF-8(Decode(Encode(text))) equals the input bytes); otherwise compression is refused rather than decompression
// returning different bytes. Decompression checks the file (CompressedText.Parse), that the model's content hash is the
// one the file was written with, and at the end the SHA-256 of the bytes it produced.
using System.Security.Cryptography;
using System.Text;
using TrajectoryLab.Core.Coding;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Experiments.CodeLength;

/// <summary>Compresses and decompresses text with a model as the arithmetic coder's predictor.</summary>
public static class TextCompressor
{
    private static readonly UTF8Encoding StrictUtf8 = new(encoderShouldEmitUTF8Identifier: false, throwOnInvalidBytes: true);

    /// <summary>The token every context starts from: BOS, else EOS, else id 0.</summary>
    public static int StartToken(ITextTokenizer tokenizer) => tokenizer?.BosId ?? tokenizer?.EosId ?? 0;

    /// <summary>The token ids of <paramref name="bytes"/>, or the reason they cannot be coded exactly.</summary>
    /// <param name="bytes">The text, UTF-8.</param>
    /// <param name="tokenizer">The model's tokenizer.</param>
    /// <param name="ids">The ids, when the result is null.</param>
    /// <returns>Null, or a one-line reason (not UTF-8; the tokenizer changes the text).</returns>
    public static string? Tokenize(byte[] bytes, ITextTokenizer tokenizer, out int[] ids)
    {
        ArgumentNullException.ThrowIfNull(bytes);
        ArgumentNullException.ThrowIfNull(tokenizer);
        ids = [];
        string text;
        try
        {
            text = StrictUtf8.GetString(bytes);
        }
        catch (DecoderFallbackException e)
        {
            return $"is not UTF-8 text (invalid byte at offset {e.Index}); the model codes text through its tokenizer";
        }
        var encoded = tokenizer.Encode(text);
        var back = Encoding.UTF8.GetBytes(tokenizer.Decode(encoded));
        if (!back.AsSpan().SequenceEqual(bytes))
        {
            var at = 0;
            while (at < back.Length && at < bytes.Length && back[at] == bytes[at])
                at++;
            return $"the model's tokenizer does not reproduce this text exactly (first difference at byte {at}), so it cannot be "
                + "coded losslessly with this model";
        }
        ids = encoded;
        return null;
    }

    /// <summary>Codes <paramref name="ids"/> (the tokens of <paramref name="bytes"/>) into a compressed file.</summary>
    public static (CompressedText File, EncodedTokens Coded) Compress(
        byte[] bytes,
        int[] ids,
        ICodingModel model,
        byte[] modelHash,
        int start,
        CancellationToken cancellation = default
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        var coded = TextCoder.Encode(model, ids, start, cancellation);
        var file = new CompressedText(
            modelHash,
            ids.Length,
            bytes.Length,
            FrequencyQuantizer.DefaultTotal,
            model.Block,
            start,
            SHA256.HashData(bytes),
            coded.Payload
        );
        return (file, coded);
    }

    /// <summary>Decodes <paramref name="file"/> (read from <paramref name="path"/>) back to the original bytes.</summary>
    /// <exception cref="CompressedTextException">The file was written with another model or other coding parameters, or
    /// the decoded bytes do not match the recorded checksum; the message names the file.</exception>
    public static byte[] Decompress(
        CompressedText file,
        string path,
        ICodingModel model,
        ITextTokenizer tokenizer,
        byte[] modelHash,
        CancellationToken cancellation = default
    )
    {
        ArgumentNullException.ThrowIfNull(file);
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(tokenizer);
        if (!file.ModelHash.AsSpan().SequenceEqual(modelHash))
            throw new CompressedTextException(
                path,
                $"was compressed with another model (content hash {CompressedText.Short(file.ModelHash)}…, this model's is "
                    + $"{CompressedText.Short(modelHash)}…): decompress it with the model that compressed it"
            );
        if (file.Total != FrequencyQuantizer.DefaultTotal || file.Block != model.Block || file.Start != StartToken(tokenizer))
            throw new CompressedTextException(
                path,
                $"coded with total {file.Total}, block {file.Block}, start token {file.Start}; this build codes with total "
                    + $"{FrequencyQuantizer.DefaultTotal}, block {model.Block}, start token {StartToken(tokenizer)}"
            );
        if (file.Tokens > int.MaxValue)
            throw new CompressedTextException(path, $"corrupted: {file.Tokens} tokens");
        var ids = TextCoder.Decode(model, file.Payload, file.Tokens, file.Start, cancellation);
        var bytes = Encoding.UTF8.GetBytes(tokenizer.Decode(ids));
        if (bytes.LongLength != file.Bytes || !SHA256.HashData(bytes).AsSpan().SequenceEqual(file.TextHash))
            throw new CompressedTextException(
                path,
                "decoded text does not match the recorded checksum: the model's probabilities differ from the ones it was "
                    + "compressed with (another machine, libtorch build or thread count?); nothing written"
            );
        return bytes;
    }
}

// Bytes to text for decoding: invalid UTF-8 becomes U+FFFD (one per maximal invalid subsequence, as Unicode's
// "best practice" and Rust's from_utf8_lossy do), or, for showing single tokens, <0xNN> per invalid byte.
using System.Globalization;
using System.Text;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>UTF-8 decoding with a choice of what invalid bytes become.</summary>
internal static class Utf8Text
{
    /// <summary>Decodes <paramref name="bytes"/>; invalid sequences become U+FFFD, or <c>&lt;0xNN&gt;</c> per byte when <paramref
    /// name="escapeInvalid"/>.</summary>
    public static string Decode(ReadOnlySpan<byte> bytes, bool escapeInvalid)
    {
        if (!escapeInvalid)
            return Encoding.UTF8.GetString(bytes);
        var text = new StringBuilder(bytes.Length);
        while (!bytes.IsEmpty)
        {
            var status = Rune.DecodeFromUtf8(bytes, out var rune, out var consumed);
            if (status == System.Buffers.OperationStatus.Done)
                text.Append(rune.ToString());
            else
                foreach (var b in bytes[..consumed])
                    text.Append("<0x").Append(b.ToString("X2", CultureInfo.InvariantCulture)).Append('>');
            bytes = bytes[consumed..];
        }
        return text.ToString();
    }

    /// <summary><paramref name="text"/> with each lone surrogate (not valid Unicode, not encodable as UTF-8) replaced by U+FFFD.</summary>
    public static string ReplaceLoneSurrogates(string text)
    {
        char[]? fixedText = null;
        for (var i = 0; i < text.Length; i++)
        {
            if (char.IsHighSurrogate(text[i]) && i + 1 < text.Length && char.IsLowSurrogate(text[i + 1]))
            {
                i++;
                continue;
            }
            if (!char.IsSurrogate(text[i]))
                continue;
            fixedText ??= text.ToCharArray();
            fixedText[i] = '\uFFFD';
        }
        return fixedText is null ? text : new string(fixedText);
    }
}

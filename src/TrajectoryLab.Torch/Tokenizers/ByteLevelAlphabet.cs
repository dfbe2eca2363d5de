// GPT-2's byte-level alphabet: each of the 256 byte values is shown as one printable Unicode character, so that
// a BPE vocabulary over bytes can be stored as JSON strings (space is 'Ġ', newline 'Ċ').
// Reference: Radford et al. 2019, "Language Models are Unsupervised Multitask Learners" (GPT-2), bytes_to_unicode in encoder.py.
using System.Text;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>The byte ↔ character map of byte-level BPE.</summary>
/// <remarks>Printable bytes <c>!..~</c>, <c>¡..¬</c> and <c>®..ÿ</c> stand for themselves; the other 68 bytes, in increasing
/// order, take the characters U+0100, U+0101, … (so byte 0x20 is U+0120 'Ġ' and 0x0A is U+010A 'Ċ').</remarks>
internal static class ByteLevelAlphabet
{
    private static readonly char[] ByteToChar = BuildByteToChar(); // (256,)
    private static readonly short[] CharToByte = BuildCharToByte(); // (324,) byte value, or -1

    /// <summary>The character that stands for <paramref name="b"/>.</summary>
    public static char Char(byte b) => ByteToChar[b];

    /// <summary>The byte <paramref name="c"/> stands for, when it is in the alphabet.</summary>
    public static bool TryByte(char c, out byte b)
    {
        var value = c < CharToByte.Length ? CharToByte[c] : (short)-1;
        b = (byte)Math.Max(value, (short)0);
        return value >= 0;
    }

    /// <summary>The alphabet string of raw bytes.</summary>
    public static string FromBytes(ReadOnlySpan<byte> bytes)
    {
        var chars = new char[bytes.Length];
        for (var i = 0; i < bytes.Length; i++)
            chars[i] = ByteToChar[bytes[i]];
        return new string(chars);
    }

    /// <summary>The alphabet string of the UTF-8 bytes of <paramref name="text"/> (a lone surrogate becomes U+FFFD's bytes).</summary>
    public static string FromText(ReadOnlySpan<char> text)
    {
        var bytes = new byte[Encoding.UTF8.GetByteCount(text)];
        Encoding.UTF8.GetBytes(text, bytes);
        return FromBytes(bytes);
    }

    /// <summary>Appends the bytes of an alphabet string; false (and nothing appended) when a character is outside the alphabet.</summary>
    public static bool TryAppendBytes(string piece, List<byte> output)
    {
        foreach (var c in piece)
            if (!TryByte(c, out _))
                return false;
        foreach (var c in piece)
        {
            TryByte(c, out var b);
            output.Add(b);
        }
        return true;
    }

    private static bool IsPrintable(int b) => b is >= '!' and <= '~' or >= 0xA1 and <= 0xAC or >= 0xAE and <= 0xFF;

    private static char[] BuildByteToChar()
    {
        var map = new char[256];
        var next = 256;
        for (var b = 0; b < 256; b++)
            map[b] = IsPrintable(b) ? (char)b : (char)next++;
        return map;
    }

    private static short[] BuildCharToByte()
    {
        var map = new short[256 + 68];
        Array.Fill(map, (short)-1);
        for (var b = 0; b < 256; b++)
            map[ByteToChar[b]] = (short)b;
        return map;
    }
}

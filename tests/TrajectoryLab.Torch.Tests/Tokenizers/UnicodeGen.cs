// FsCheck generators of arbitrary valid Unicode text (no lone surrogates): ASCII, controls, odd whitespace, Latin,
// combining marks, CJK, emoji (ZWJ sequences and flags too), any BMP or astral scalar value, and the empty string.
using FsCheck;
using FsCheck.Fluent;

namespace TrajectoryLab.Torch.Tests.Tokenizers;

internal static class UnicodeGen
{
    private static readonly Gen<string> Scalar = Gen.OneOf(
        Gen.Choose(0x20, 0x7E), Gen.Choose(0x20, 0x7E), Gen.Choose(0x20, 0x7E),
        Gen.Choose(0x00, 0x1F),
        Gen.Elements(0x7F, 0x85, 0xA0, 0xAD, 0x200B, 0x2028, 0x3000, 0xFEFF, 0xFFFD),
        Gen.Choose(0xA1, 0x24F),
        Gen.Choose(0x300, 0x36F),
        Gen.Choose(0x4E00, 0x9FFF),
        Gen.Choose(0x1F300, 0x1FAFF),
        Gen.Choose(0x0, 0xD7FF),
        Gen.Choose(0xE000, 0xFFFF),
        Gen.Choose(0x10000, 0x10FFFF)).Select(char.ConvertFromUtf32);

    private static readonly Gen<string> Chunk = Gen.OneOf(
        Scalar, Scalar, Scalar, Scalar,
        Gen.Elements("👨‍👩‍👧", "🇺🇸", "e\u0301", "\r\n", "   ", "'s", "'ll", " hello", "123456", "\t\t", "𝐀𝐁"));

    /// <summary>Valid Unicode strings of 0 to about 40 chunks; <paramref name="exclude"/> filters out strings containing a text.</summary>
    public static Arbitrary<string> Strings(params string[] exclude) =>
        Gen.Sized(size => Gen.Choose(0, Math.Min(size, 40)).SelectMany(n => Chunk.ArrayOf(n)))
            .Select(string.Concat)
            .Where(s => !exclude.Any(e => s.Contains(e, StringComparison.Ordinal)))
            .ToArbitrary();
}

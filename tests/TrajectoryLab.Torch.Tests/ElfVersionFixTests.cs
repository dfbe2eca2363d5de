// Tests of the build's ELF fix (build/ElfVersionNeeds.cs) on the real, unpatched TorchSharp shim from the package.
using System.Reflection;
using TrajectoryLab.Build;

namespace TrajectoryLab.Torch.Tests;

public sealed class ElfVersionFixTests
{
    static string PackageLibrary() =>
        typeof(ElfVersionFixTests).Assembly.GetCustomAttributes<AssemblyMetadataAttribute>()
            .Single(a => a.Key == "TorchSharpNativeInPackage").Value!;

    [Fact]
    public void WeakensExactlyTheGlibcxx3432FlagByte()
    {
        var original = File.ReadAllBytes(PackageLibrary());
        var patched = ElfVersionNeeds.Weaken(original, v => ElfVersionNeeds.IsNewerThan(v, "GLIBCXX_3.4.30"), "lib", out var result);

        Assert.Empty(result.Refusals);
        Assert.Equal(new[] { "GLIBCXX_3.4.32" }, result.Weakened);
        var changed = Enumerable.Range(0, original.Length).Where(i => original[i] != patched[i]).ToArray();
        // The shared note measured this byte: vna_flags of the GLIBCXX_3.4.32 entry, 0x00 -> 0x02 (VER_FLG_WEAK).
        Assert.Equal(new[] { 0x3fa34 }, changed);
        Assert.Equal(0x02, patched[0x3fa34]);
    }

    [Fact]
    public void TheLibraryCopiedNextToTheTestsIsThePatchedOne()
    {
        var copied = Path.Combine(AppContext.BaseDirectory, "libLibTorchSharp.so");
        Assert.True(File.Exists(copied), copied);
        Assert.Equal(0x02, File.ReadAllBytes(copied)[0x3fa34]);
    }

    [Fact]
    public void RefusesToWeakenAVersionThatARelocationUses()
    {
        // GLIBCXX_3.4.21 (std::__cxx11 strings) is used by many relocations: weakening it must be refused.
        var original = File.ReadAllBytes(PackageLibrary());
        var output = ElfVersionNeeds.Weaken(original, v => ElfVersionNeeds.IsNewerThan(v, "GLIBCXX_3.4.20"), "libX.so", out var result);

        Assert.NotEmpty(result.Refusals);
        Assert.Contains(result.Refusals, r => r.StartsWith("libX.so: relocation", StringComparison.Ordinal) && r.Contains("@GLIBCXX_3.4.2", StringComparison.Ordinal));
        Assert.Same(original, output);
        Assert.Empty(result.Weakened);
    }

    [Fact]
    public void ATruncatedLibraryFailsWithTheFileName()
    {
        var original = File.ReadAllBytes(PackageLibrary());
        var truncated = original.AsSpan(0, 4096).ToArray();
        var ex = Assert.Throws<InvalidDataException>(() => ElfVersionNeeds.Weaken(truncated, _ => true, "cut.so", out _));
        Assert.StartsWith("cut.so:", ex.Message, StringComparison.Ordinal);
    }

    [Theory]
    [InlineData("GLIBCXX_3.4.32", "GLIBCXX_3.4.30", true)]
    [InlineData("GLIBCXX_3.4.30", "GLIBCXX_3.4.30", false)]
    [InlineData("GLIBCXX_3.4.9", "GLIBCXX_3.4.30", false)]
    [InlineData("GLIBCXX_3.5", "GLIBCXX_3.4.30", true)]
    [InlineData("GLIBC_2.38", "GLIBCXX_3.4.30", false)]
    [InlineData("CXXABI_1.3.15", "GLIBCXX_3.4.30", false)]
    public void ComparesVersionsOfTheSamePrefixNumerically(string version, string maximum, bool newer) =>
        Assert.Equal(newer, ElfVersionNeeds.IsNewerThan(version, maximum));
}

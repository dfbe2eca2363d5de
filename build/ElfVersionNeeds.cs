// Weakens GNU version requirements (SHT_GNU_verneed entries) of an ELF64 shared library, in a copy.
// Why: TorchSharp-cpu 0.107.0's libLibTorchSharp.so requires GLIBCXX_3.4.32 (Debian 12 stops at 3.4.30),
// yet no relocation uses a symbol of that version (GCC 13's <iostream> emits only a marker symbol).
// Setting VER_FLG_WEAK (0x2) in vna_flags lets the loader accept a libstdc++ without that version.
// References: System V gABI (ELF-64 section headers, relocations); LSB 5.0 "Symbol Versioning"
// (Elf64_Verneed / Elf64_Vernaux, VER_FLG_WEAK); README.md, "How TorchSharp loads on Debian 12".
// This file is compiled by MSBuild's RoslynCodeTaskFactory (build/ElfVersionFix.targets) and, with
// TRAJECTORYLAB_TESTS defined, by tests/TrajectoryLab.Torch.Tests, which checks it on the real library.
using System;
using System.Collections.Generic;
using System.IO;
using System.Linq;
using System.Text;

namespace TrajectoryLab.Build
{
    /// <summary>The outcome of weakening version requirements: what was weakened, and what was refused.</summary>
    public sealed class ElfVersionPatchResult
    {
        /// <summary>Version names whose requirement was (or already is) weak in the output.</summary>
        public List<string> Weakened { get; } = new List<string>();
        /// <summary>Problems that make the patch unsafe; when non-empty nothing is written.</summary>
        public List<string> Refusals { get; } = new List<string>();
    }

    /// <summary>Reads and patches the version-needs table of an ELF64 little-endian shared object.</summary>
    public static class ElfVersionNeeds
    {
        const uint ShtRela = 4, ShtRel = 9, ShtVerneed = 0x6ffffffe, ShtVersym = 0x6fffffff, ShtDynsym = 11;
        const ushort VerFlgWeak = 0x2;

        /// <summary>
        /// Returns a patched copy of <paramref name="elf"/> in which every needed version that
        /// <paramref name="shouldWeaken"/> selects is marked VER_FLG_WEAK, after checking that no relocation
        /// references a symbol bound to such a version. If any does, nothing is patched and the result lists why.
        /// </summary>
        public static byte[] Weaken(byte[] elf, Func<string, bool> shouldWeaken, string fileName, out ElfVersionPatchResult result)
        {
            result = new ElfVersionPatchResult();
            var copy = (byte[])elf.Clone();
            var sections = ReadSections(elf, fileName);
            var verneed = sections.FirstOrDefault(s => s.Type == ShtVerneed)
                ?? throw new InvalidDataException($"{fileName}: no SHT_GNU_verneed section");
            var strtab = sections[(int)verneed.Link];

            // Walk Elf64_Verneed { vn_version u16, vn_cnt u16, vn_file u32, vn_aux u32, vn_next u32 }
            // and its Elf64_Vernaux { vna_hash u32, vna_flags u16, vna_other u16, vna_name u32, vna_next u32 }.
            var targets = new Dictionary<ushort, (string Name, long FlagsOffset)>();
            long vn = verneed.Offset;
            for (int i = 0; i < verneed.Info; i++)
            {
                CheckRange(elf, vn, 16, fileName, "Elf64_Verneed");
                int count = U16(elf, vn + 2);
                long aux = vn + U32(elf, vn + 8);
                for (int j = 0; j < count; j++)
                {
                    CheckRange(elf, aux, 16, fileName, "Elf64_Vernaux");
                    string name = CString(elf, strtab.Offset + U32(elf, aux + 8), fileName);
                    if (shouldWeaken(name)) targets[(ushort)U16(elf, aux + 6)] = (name, aux + 4);
                    aux += U32(elf, aux + 12);
                }
                vn += U32(elf, vn + 12);
            }

            // Safety: a relocation whose symbol is bound to a weakened version would fail at run time, so refuse.
            var versym = sections.FirstOrDefault(s => s.Type == ShtVersym);
            var dynsym = sections.FirstOrDefault(s => s.Type == ShtDynsym);
            if (targets.Count > 0 && versym != null && dynsym != null)
            {
                var dynstr = sections[(int)dynsym.Link];
                foreach (var rel in sections.Where(s => (s.Type == ShtRela || s.Type == ShtRel) && sections[(int)s.Link] == dynsym))
                {
                    long entry = rel.Type == ShtRela ? 24 : 16;
                    for (long off = rel.Offset; off + entry <= rel.Offset + rel.Size; off += entry)
                    {
                        long sym = (long)(U64(elf, off + 8) >> 32);
                        if (sym == 0) continue;
                        CheckRange(elf, versym.Offset + 2 * sym, 2, fileName, "versym entry");
                        var ver = (ushort)(U16(elf, versym.Offset + 2 * sym) & 0x7fff);
                        if (!targets.TryGetValue(ver, out var t)) continue;
                        string symName = CString(elf, dynstr.Offset + U32(elf, dynsym.Offset + 24 * sym), fileName);
                        result.Refusals.Add($"{fileName}: relocation at 0x{U64(elf, off):x} in section {rel.Name} uses {symName}@{t.Name}; weakening {t.Name} would break it at run time");
                    }
                }
            }
            if (result.Refusals.Count > 0) return elf;

            foreach (var t in targets.Values.OrderBy(t => t.Name, StringComparer.Ordinal))
            {
                ushort flags = (ushort)U16(copy, t.FlagsOffset);
                flags |= VerFlgWeak;
                copy[t.FlagsOffset] = (byte)flags;
                copy[t.FlagsOffset + 1] = (byte)(flags >> 8);
                result.Weakened.Add(t.Name);
            }
            return copy;
        }

        /// <summary>
        /// True for versions of the form PREFIX_a.b.c strictly newer than <paramref name="maximum"/> of the same prefix
        /// (e.g. GLIBCXX_3.4.32 is newer than GLIBCXX_3.4.30); other prefixes are never selected.
        /// </summary>
        public static bool IsNewerThan(string version, string maximum)
        {
            int a = version.IndexOf('_'), b = maximum.IndexOf('_');
            if (a < 0 || b < 0 || version.Substring(0, a) != maximum.Substring(0, b)) return false;
            var va = version.Substring(a + 1).Split('.');
            var vb = maximum.Substring(b + 1).Split('.');
            for (int i = 0; i < Math.Max(va.Length, vb.Length); i++)
            {
                int x = i < va.Length && int.TryParse(va[i], out var p) ? p : 0;
                int y = i < vb.Length && int.TryParse(vb[i], out var q) ? q : 0;
                if (x != y) return x > y;
            }
            return false;
        }

        sealed class Section
        {
            public string Name = "";
            public uint Type, Link, Info;
            public long Offset, Size;
        }

        static List<Section> ReadSections(byte[] elf, string fileName)
        {
            if (elf.Length < 64 || elf[0] != 0x7f || elf[1] != (byte)'E' || elf[2] != (byte)'L' || elf[3] != (byte)'F')
                throw new InvalidDataException($"{fileName}: not an ELF file");
            if (elf[4] != 2 || elf[5] != 1)
                throw new InvalidDataException($"{fileName}: only ELF64 little-endian is supported");
            long shoff = (long)U64(elf, 0x28);
            int shentsize = U16(elf, 0x3a), shnum = U16(elf, 0x3c), shstrndx = U16(elf, 0x3e);
            CheckRange(elf, shoff, (long)shentsize * shnum, fileName, "section header table");
            var list = new List<Section>();
            var nameOffsets = new List<uint>();
            for (int i = 0; i < shnum; i++)
            {
                long h = shoff + (long)i * shentsize;
                nameOffsets.Add(U32(elf, h));
                var s = new Section
                {
                    Type = U32(elf, h + 4),
                    Offset = (long)U64(elf, h + 0x18),
                    Size = (long)U64(elf, h + 0x20),
                    Link = U32(elf, h + 0x28),
                    Info = U32(elf, h + 0x2c),
                };
                if (s.Type != 8 /* SHT_NOBITS */) CheckRange(elf, s.Offset, s.Size, fileName, $"section {i}");
                list.Add(s);
            }
            for (int i = 0; i < shnum; i++) list[i].Name = CString(elf, list[shstrndx].Offset + nameOffsets[i], fileName);
            return list;
        }

        static void CheckRange(byte[] elf, long offset, long length, string fileName, string what)
        {
            if (offset < 0 || length < 0 || offset + length > elf.Length)
                throw new InvalidDataException($"{fileName}: {what} at 0x{offset:x} (+{length}) runs past the end of the file ({elf.Length} bytes)");
        }

        static string CString(byte[] elf, long offset, string fileName)
        {
            CheckRange(elf, offset, 1, fileName, "string");
            long end = offset;
            while (end < elf.Length && elf[end] != 0) end++;
            return Encoding.ASCII.GetString(elf, (int)offset, (int)(end - offset));
        }

        static int U16(byte[] b, long o) => b[o] | (b[o + 1] << 8);
        static uint U32(byte[] b, long o) => (uint)(b[o] | (b[o + 1] << 8) | (b[o + 2] << 16) | (b[o + 3] << 24));
        static ulong U64(byte[] b, long o) => U32(b, o) | ((ulong)U32(b, o + 4) << 32);
    }

#if !TRAJECTORYLAB_TESTS
    /// <summary>
    /// MSBuild task: copies <c>Source</c> to <c>Destination</c> with every needed version newer than
    /// <c>MaximumVersion</c> (same prefix) weakened; fails the build if a relocation really uses one.
    /// </summary>
    public sealed class WeakenElfVersionNeeds : Microsoft.Build.Utilities.Task
    {
        [Microsoft.Build.Framework.Required] public string Source { get; set; } = "";
        [Microsoft.Build.Framework.Required] public string Destination { get; set; } = "";
        [Microsoft.Build.Framework.Required] public string MaximumVersion { get; set; } = "";

        public override bool Execute()
        {
            var bytes = File.ReadAllBytes(Source);
            var patched = ElfVersionNeeds.Weaken(bytes, v => ElfVersionNeeds.IsNewerThan(v, MaximumVersion), Source, out var result);
            foreach (var refusal in result.Refusals) Log.LogError("TLAB001: " + refusal);
            if (result.Refusals.Count > 0) return false;
            Directory.CreateDirectory(Path.GetDirectoryName(Destination)!);
            var tmp = Destination + ".tmp";
            File.WriteAllBytes(tmp, patched);
            File.Copy(tmp, Destination, overwrite: true);
            File.Delete(tmp);
            Log.LogMessage(Microsoft.Build.Framework.MessageImportance.Normal,
                "Weakened version needs [{0}] of {1} -> {2}", string.Join(", ", result.Weakened), Source, Destination);
            return true;
        }
    }
#endif
}

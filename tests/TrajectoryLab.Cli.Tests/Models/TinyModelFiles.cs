// Small model files for the command-line tests, written through the public API: a random Llama saved as a Hugging Face
// folder (with the default model's tokenizer, whose 4096 ids it reads) or exported as a llama2.c .bin, a minimal
// llama2.c tokenizer.bin, and raw edits of a safetensors header for malformed variants.
using System.Buffers.Binary;
using System.Text;
using System.Text.Json.Nodes;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Cli.Tests.Models;

static class TinyModelFiles
{
    /// <summary>A 2-layer Llama (d_model 16, GQA 4/2, tied head) over the default tokenizer's 4096 ids, in run.c's numerics.</summary>
    public static readonly ModelSpec Spec = ModelSpec.Llama(4096, 16, 32, 2, 4, numKvHeads: 2, context: 64, tieWordEmbeddings: true);

    static string Repository => Environment.GetEnvironmentVariable("TRAJECTORYLAB_ROOT")!;

    /// <summary>Writes config.json, model.safetensors and (unless told not to) the default model's tokenizer files into <paramref name="folder"/>.</summary>
    public static string HfFolder(string folder, bool tokenizer = true, double std = 0.3)
    {
        using (var model = LanguageModel.Random(Spec, seed: 5, std: std)) model.Save(folder);
        if (tokenizer)
            foreach (var file in new[] { "tokenizer.json", "tokenizer_config.json" })
                File.Copy(Path.Combine(Repository, "models", "brown-small", file), Path.Combine(folder, file));
        return folder;
    }

    /// <summary>Writes the same random Llama as a llama2.c .bin at <paramref name="path"/>.</summary>
    public static string Llama2cBin(string path)
    {
        using var model = LanguageModel.Random(Spec, seed: 5, std: 0.3);
        model.ExportLlama2c(path);
        return path;
    }

    /// <summary>A llama2.c tokenizer.bin: &lt;unk&gt;, BOS, EOS, the 256 byte tokens, " ", then a few letters and merges.</summary>
    public static string Llama2cTokenizer(string path)
    {
        var pieces = new List<(string Text, float Score)> { ("<unk>", 0), ("\n<s>\n", 0), ("\n</s>\n", 0) };
        for (var b = 0; b < 256; b++) pieces.Add(($"<0x{b:X2}>", 0));
        pieces.Add((" ", -1));
        foreach (var c in "abcdefghijklmnopqrstuvwxyzTJ") pieces.Add((c.ToString(), -2));
        foreach (var merge in new[] { "Th", "The", " The", "ju", "jur", "jury", " jury", "sa", "said", " said" }) pieces.Add((merge, -3 + merge.Length * 0.1f));
        using var stream = File.Create(path);
        Span<byte> four = stackalloc byte[4];
        BinaryPrimitives.WriteInt32LittleEndian(four, pieces.Max(p => Encoding.UTF8.GetByteCount(p.Text)));
        stream.Write(four);
        foreach (var (text, score) in pieces)
        {
            var bytes = Encoding.UTF8.GetBytes(text);
            BinaryPrimitives.WriteSingleLittleEndian(four, score);
            stream.Write(four);
            BinaryPrimitives.WriteInt32LittleEndian(four, bytes.Length);
            stream.Write(four);
            stream.Write(bytes);
        }
        return path;
    }

    /// <summary>A safetensors file split into its header (as JSON) and data region.</summary>
    public sealed record Safetensors(JsonObject Header, byte[] Data)
    {
        public static Safetensors Read(string path)
        {
            var bytes = File.ReadAllBytes(path);
            var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
            return new(JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject(), bytes[(8 + length)..]);
        }

        /// <summary>Writes the header and data back, with <paramref name="lengthOverride"/> in place of the true header length if given.</summary>
        public void Write(string path, ulong? lengthOverride = null)
        {
            var json = Encoding.UTF8.GetBytes(Header.ToJsonString());
            var bytes = new byte[8 + json.Length + Data.Length];
            BinaryPrimitives.WriteUInt64LittleEndian(bytes, lengthOverride ?? (ulong)json.Length);
            json.CopyTo(bytes, 8);
            Data.CopyTo(bytes, 8 + json.Length);
            File.WriteAllBytes(path, bytes);
        }

        /// <summary>The byte offset, in <see cref="Data"/>, of element <paramref name="element"/> of float32 tensor <paramref name="name"/>.</summary>
        public int Offset(string name, int element) => (int)Header[name]!["data_offsets"]![0]!.GetValue<long>() + 4 * element;

        /// <summary>The header and data without tensor <paramref name="name"/>, offsets rewritten: a valid file that lacks it.</summary>
        public Safetensors Without(string name)
        {
            var header = new JsonObject();
            var data = new MemoryStream();
            foreach (var (key, value) in Header.OrderBy(p => p.Value?["data_offsets"]?[0]?.GetValue<long>() ?? -1))
            {
                if (key == name) continue;
                if (key == "__metadata__") { header[key] = value!.DeepClone(); continue; }
                var begin = value!["data_offsets"]![0]!.GetValue<long>();
                var end = value["data_offsets"]![1]!.GetValue<long>();
                var entry = value.DeepClone().AsObject();
                entry["data_offsets"] = new JsonArray(data.Length, data.Length + end - begin);
                data.Write(Data, (int)begin, (int)(end - begin));
                header[key] = entry;
            }
            return new(header, data.ToArray());
        }
    }
}

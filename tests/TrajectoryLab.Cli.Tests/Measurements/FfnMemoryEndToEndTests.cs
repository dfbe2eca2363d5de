// ffn-memory end to end on a hand-built memory: a tiny tied Llama whose layer-1 unit 5 has a key that fires on token A
// (its gate and up rows along A's embedding) and a value that is token B's embedding (its W_out row), patched into a
// saved model.safetensors; on a text where A is always followed by B, the run's units.csv must show that unit with its
// top prefix followed by B, B on top of its value, and agreement at top-1. Reference: Geva et al. (2021), EMNLP.
using System.Buffers.Binary;
using System.Text.Json.Nodes;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Cli.Tests.Measurements;

[Collection(ConsoleCollection.Name)]
public sealed class FfnMemoryEndToEndTests : IDisposable
{
    readonly string _root = Directory.CreateTempSubdirectory("tlab-ffn-").FullName;

    public void Dispose() => Directory.Delete(_root, recursive: true);

    const int Vocab = 64, D = 32, Mlp = 64, Layer = 1, Unit = 5, A = 20, B = 33;

    [Fact]
    public void AUnitWhoseKeyFiresOnATokenAndWhoseValueIsTheNextTokenAgrees()
    {
        var folder = Path.Combine(_root, "memory");
        var spec = ModelSpec.Llama(Vocab, D, Mlp, 2, 4, context: 128, tieWordEmbeddings: true);
        using (var model = LanguageModel.Random(spec, seed: 3))
            model.Save(folder);
        var file = Path.Combine(folder, "model.safetensors");
        var tensors = Read(file);
        var embedding = tensors["model.embed_tokens.weight"]; // [vocab, d]
        for (var j = 0; j < D; j++)
            embedding[B * D + j] *= 3; // B's embedding stands out, so E e_B has B on top
        var eA = embedding.AsSpan(A * D, D).ToArray();
        var norm = Math.Sqrt(eA.Sum(x => (double)x * x));
        foreach (var name in new[] { "gate_proj", "up_proj" }) // [d_mlp, d_model]: row Unit is the key
        {
            var w = tensors[$"model.layers.{Layer}.mlp.{name}.weight"];
            for (var j = 0; j < D; j++)
                w[Unit * D + j] = (float)(2 * eA[j] / norm);
        }
        var down = tensors[$"model.layers.{Layer}.mlp.down_proj.weight"]; // [d_model, d_mlp]: column Unit is the value
        for (var j = 0; j < D; j++)
            down[j * Mlp + Unit] = embedding[B * D + j];
        Write(file, tensors);

        // A text where A occurs only as "A B"; the other tokens avoid both.
        var random = new Random(11);
        var ids = new List<int> { 0 };
        while (ids.Count < 90)
            if (ids.Count % 9 == 4)
                ids.AddRange([A, B]);
            else
                ids.Add(random.Next(1, Vocab) is var t && t != A && t != B ? t : 1);
        var results = Path.Combine(_root, "results");
        var (code, _, stderr) = CliHost.Run(
            "run", "ffn-memory", "--results", results, "--set", $"model:name={folder}", "--set", "model:compareRandom=false",
            "--set", $"text:ids=[[{string.Join(", ", ids)}]]", "--set", "topPrefixes=5", "--set", "prefixesShown=2",
            "--set", "permutations=20", "--set", "bootstrapResamples=20", "--set", "ablations=false");
        Assert.True(code == 0, stderr);
        var run = Directory.GetDirectories(Path.Combine(results, "ffn-memory")).Single();
        var lines = File.ReadAllLines(Path.Combine(run, "units.csv"));
        var header = lines[0].Split(',');
        var row = lines.Skip(1).Select(l => l.Split(',')).Single(r => r[0] == "trained" && r[1] == $"{Layer}" && r[2] == $"{Unit}");
        string Column(string name) => row[Array.IndexOf(header, name)];
        Assert.Equal($"{B}", Column("trigger_next_id")); // its top prefix ends in A, followed by B
        Assert.Equal($"{B}", Column("value_top_id"));
        Assert.Equal("True", Column("agrees_top1"));
        Assert.Equal("1", Column("prefix_agreement")); // all 5 top prefixes end in A (A occurs 10 times)
    }

    /// <summary>Every float32 tensor of a safetensors file by name.</summary>
    static Dictionary<string, float[]> Read(string file)
    {
        var bytes = File.ReadAllBytes(file);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
        var tensors = new Dictionary<string, float[]>();
        foreach (var (name, node) in header)
        {
            if (name == "__metadata__")
                continue;
            Assert.Equal("F32", node!["dtype"]!.GetValue<string>());
            var offsets = node["data_offsets"]!.AsArray();
            int begin = (int)offsets[0]!.GetValue<long>(), end = (int)offsets[1]!.GetValue<long>();
            tensors[name] = System.Runtime.InteropServices.MemoryMarshal.Cast<byte, float>(bytes.AsSpan(8 + length + begin, end - begin)).ToArray();
        }
        return tensors;
    }

    /// <summary>Writes the tensors back in place (same names, shapes and offsets).</summary>
    static void Write(string file, Dictionary<string, float[]> tensors)
    {
        var bytes = File.ReadAllBytes(file);
        var length = (int)BinaryPrimitives.ReadUInt64LittleEndian(bytes);
        var header = JsonNode.Parse(bytes.AsSpan(8, length))!.AsObject();
        foreach (var (name, values) in tensors)
        {
            var begin = (int)header[name]!["data_offsets"]!.AsArray()[0]!.GetValue<long>();
            System.Runtime.InteropServices.MemoryMarshal.AsBytes(values.AsSpan()).CopyTo(bytes.AsSpan(8 + length + begin));
        }
        File.WriteAllBytes(file, bytes);
    }
}

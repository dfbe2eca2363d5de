// A new user's malformed models, one defect each: every one stops before the run with exit code 2, one line on stderr
// naming the file and the key or tensor at fault, no stack trace, and no run folder.
using System.Buffers.Binary;
using System.Text.Json.Nodes;
using static TrajectoryLab.Cli.Tests.Models.TinyModelFiles;

namespace TrajectoryLab.Cli.Tests.Models;

[Collection(ConsoleCollection.Name)]
public sealed class BadModelTests(Xunit.Abstractions.ITestOutputHelper output) : IDisposable
{
    readonly string _work = Directory.CreateTempSubdirectory("tlab-bad-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    /// <summary>Builds the bad model in a fresh folder and returns the "model" value that names it.</summary>
    delegate string Prepare(string folder);

    static string Weights(string folder) => Path.Combine(folder, "model.safetensors");

    static string Edit(string folder, Action<Safetensors> edit)
    {
        HfFolder(folder);
        var file = Safetensors.Read(Weights(folder));
        edit(file);
        file.Write(Weights(folder));
        return folder;
    }

    static string EditConfig(string folder, Action<JsonObject> edit)
    {
        HfFolder(folder);
        var path = Path.Combine(folder, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
        return folder;
    }

    static void SetFloat(Safetensors file, string tensor, int element, float value) =>
        BinaryPrimitives.WriteSingleLittleEndian(file.Data.AsSpan(file.Offset(tensor, element)), value);

    /// <summary>Each failure class: how to make it, and what the message must name.</summary>
    static readonly Dictionary<string, (Prepare Prepare, string[] Culprits)> Cases = new()
    {
        ["empty weights file"] = (f => { HfFolder(f); File.WriteAllBytes(Weights(f), []); return f; }, ["model.safetensors", "shorter than the 8-byte header length"]),
        ["header length past the end"] = (f => { HfFolder(f); var s = Safetensors.Read(Weights(f)); s.Write(Weights(f), (ulong)s.Header.ToJsonString().Length + 1_000_000); return f; }, ["model.safetensors", "runs past the end of the file"]),
        ["header length 2^62"] = (f => { HfFolder(f); Safetensors.Read(Weights(f)).Write(Weights(f), 1UL << 62); return f; }, ["model.safetensors", "header length 4611686018427387904"]),
        ["truncated data"] = (f => { HfFolder(f); var b = File.ReadAllBytes(Weights(f)); File.WriteAllBytes(Weights(f), b[..^64]); return f; }, ["model.safetensors", "run past the end of the data region"]),
        ["truncated header"] = (f => { HfFolder(f); var b = File.ReadAllBytes(Weights(f)); File.WriteAllBytes(Weights(f), b[..40]); return f; }, ["model.safetensors", "runs past the end of the file"]),
        ["header not JSON"] = (f => { HfFolder(f); var s = Safetensors.Read(Weights(f)); var n = s.Header.ToJsonString().Length; var b = File.ReadAllBytes(Weights(f)); b[8] = (byte)'#'; File.WriteAllBytes(Weights(f), b); return f; }, ["model.safetensors", "header is not valid JSON"]),
        ["overlapping offsets"] = (f => Edit(f, s => s.Header["model.norm.weight"]!["data_offsets"] = new JsonArray(0, 64)), ["model.safetensors", "overlap"]),
        ["negative offset"] = (f => Edit(f, s => s.Header["model.norm.weight"]!["data_offsets"] = new JsonArray(-64, 0)), ["tensor 'model.norm.weight'", "0 <= begin <= end"]),
        ["offsets past the end"] = (f => Edit(f, s => { var end = s.Data.Length; s.Header["model.norm.weight"]!["data_offsets"] = new JsonArray(end + 64, end + 128); }), ["tensor 'model.norm.weight'", "run past the end"]),
        ["shape disagrees with its span"] = (f => Edit(f, s => s.Header["model.norm.weight"]!["shape"] = new JsonArray(8)), ["tensor 'model.norm.weight'", "needs 32"]),
        ["unknown dtype"] = (f => Edit(f, s => s.Header["model.norm.weight"]!["dtype"] = "F8_E4M3"), ["tensor 'model.norm.weight'", "unsupported dtype 'F8_E4M3'"]),
        ["integer weights"] = (f => Edit(f, s => s.Header["model.norm.weight"]!["dtype"] = "I64"), ["tensor 'model.norm.weight'"]),
        ["missing tensor"] = (f => { HfFolder(f); Safetensors.Read(Weights(f)).Without("model.norm.weight").Write(Weights(f)); return f; }, ["tensor 'model.norm.weight'", "is missing"]),
        ["entry deleted from the header"] = (f => Edit(f, s => s.Header.Remove("model.layers.0.input_layernorm.weight")), ["tensor 'model.layers.0.input_layernorm.weight'", "is missing from the header"]),
        ["NaN weight"] = (f => Edit(f, s => SetFloat(s, "model.layers.1.mlp.up_proj.weight", 3 * 16 + 5, float.NaN)), ["tensor 'model.layers.1.mlp.up_proj.weight'", "element [3, 5]", "is NaN"]),
        ["infinite weight"] = (f => Edit(f, s => SetFloat(s, "model.norm.weight", 2, float.NegativeInfinity)), ["tensor 'model.norm.weight'", "element [2]", "-Infinity"]),
        ["heads do not divide the width"] = (f => EditConfig(f, c => { c["num_attention_heads"] = 5; c.Remove("head_dim"); }), ["config.json", "num_attention_heads"]),
        ["more layers than the weights"] = (f => EditConfig(f, c => c["num_hidden_layers"] = 3), ["model.layers.2.", "num_hidden_layers is 3", "layers 0–1"]),
        ["vocabulary mismatch"] = (f => EditConfig(f, c => c["vocab_size"] = 100), ["tensor 'model.embed_tokens.weight'", "vocab_size 100"]),
        ["unknown model_type"] = (f => EditConfig(f, c => c["model_type"] = "t5"), ["config.json", "key 'model_type'", "'t5' is not supported"]),
        ["config not JSON"] = (f => { HfFolder(f); File.WriteAllText(Path.Combine(f, "config.json"), "{ \"model_type\": "); return f; }, ["config.json", "not valid JSON"]),
        ["no config.json"] = (f => { HfFolder(f); File.Delete(Path.Combine(f, "config.json")); return f; }, ["no config.json"]),
        ["no weights file"] = (f => { HfFolder(f); File.Delete(Weights(f)); return f; }, ["model.safetensors", "file not found"]),
        ["malformed tokenizer.json"] = (f => { HfFolder(f); File.WriteAllText(Path.Combine(f, "tokenizer.json"), "{\"model\": {\"type\": \"BPE\", \"vocab\": {}, \"merges\": []}}"); return f; }, ["tokenizer.json", "model.vocab"]),
        ["shard index names a shard without the tensor"] = (f =>
        {
            HfFolder(f);
            File.Move(Weights(f), Path.Combine(f, "model-00001-of-00001.safetensors"));
            var map = new JsonObject();
            foreach (var name in Safetensors.Read(Path.Combine(f, "model-00001-of-00001.safetensors")).Header.Select(p => p.Key).Where(k => k != "__metadata__")) map[name] = "model-00001-of-00001.safetensors";
            map["model.extra.weight"] = "model-00001-of-00001.safetensors";
            File.WriteAllText(Path.Combine(f, "model.safetensors.index.json"), new JsonObject { ["weight_map"] = map }.ToJsonString());
            return f;
        }, ["model.safetensors.index.json", "tensor 'model.extra.weight'"]),
        ["PyTorch pickle .bin"] = (f => { var path = Path.Combine(f, "pytorch_model.bin"); File.WriteAllBytes(path, [0x50, 0x4B, 0x03, 0x04, 0, 0, 0, 0]); return path; }, ["pytorch_model.bin", "pickle"]),
        ["llama2.c header field"] = (f => { var path = Llama2cBin(Path.Combine(f, "model.bin")); var b = File.ReadAllBytes(path); BinaryPrimitives.WriteInt32LittleEndian(b.AsSpan(12), 0); File.WriteAllBytes(path, b); return path; }, ["model.bin", "header field 'n_heads'"]),
        ["llama2.c truncated"] = (f => { var path = Llama2cBin(Path.Combine(f, "model.bin")); var b = File.ReadAllBytes(path); File.WriteAllBytes(path, b[..^100]); return path; }, ["model.bin", "tensor 'freq_cis_imag'", "beyond the file"]),
        ["llama2.c NaN weight"] = (f => { var path = Llama2cBin(Path.Combine(f, "model.bin")); var b = File.ReadAllBytes(path); var wq = 28 + 4 * (4096 * 16 + 2 * 16); BinaryPrimitives.WriteSingleLittleEndian(b.AsSpan(wq + 4 * 7), float.NaN); File.WriteAllBytes(path, b); return path; }, ["model.bin", "tensor 'wq'", "element [0, 0, 7]", "NaN"]),
        ["not a model file"] = (f => { var path = Path.Combine(f, "weights.pt"); File.WriteAllText(path, "x"); return path; }, ["weights.pt", "is not a model"]),
        ["no such path"] = (f => Path.Combine(f, "absent"), ["absent", "no such file or folder"]),
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void StopsBeforeTheRunNamingTheCulprit(string name)
    {
        var (prepare, culprits) = Cases[name];
        var folder = Directory.CreateDirectory(Path.Combine(_work, "model")).FullName;
        var model = prepare(folder);
        var results = Path.Combine(_work, "results");

        var (code, stdout, stderr) = CliHost.Run(["run", "generate", "--results", results, "--set", $"model={model}", "--set", "maxNewTokens=2"]);

        output.WriteLine($"{name}: {stderr.Trim()}");
        Assert.True(code == 2, $"exit {code}: {stderr}");
        Assert.StartsWith("trajectorylab run: ", stderr);
        Assert.Contains("generate.json (overridden on the command line): key 'model': ", stderr);
        foreach (var culprit in culprits) Assert.True(stderr.Contains(culprit, StringComparison.Ordinal), $"'{culprit}' not in: {stderr}");
        Assert.Single(stderr.Trim().Split('\n'));
        Assert.DoesNotContain("   at ", stderr);
        Assert.Equal("", stdout);
        Assert.False(Directory.Exists(Path.Combine(results, "generate")), "no run folder may be created");
    }

    [Fact]
    public void AnExplicitTokenizerThatIsMalformedIsBlamedOnTheTokenizerKey()
    {
        var folder = HfFolder(Directory.CreateDirectory(Path.Combine(_work, "model")).FullName);
        var tokenizer = Path.Combine(_work, "tokenizer.json");
        File.WriteAllText(tokenizer, "not json");
        var (code, _, stderr) = CliHost.Run(["run", "generate", "--results", Path.Combine(_work, "results"), "--set", $"model={folder}", "--set", $"tokenizer={tokenizer}"]);
        Assert.Equal(2, code);
        Assert.Contains("key 'tokenizer'", stderr);
        Assert.Contains(tokenizer, stderr);
    }

    [Fact]
    public void PromptIdsOutsideTheVocabularyAreRefusedNamingTheElement()
    {
        var results = Path.Combine(_work, "results");
        var (code, _, stderr) = CliHost.Run(["run", "generate", "--results", results, "--set", "promptIds=[[1, 2, 99999]]"]);
        Assert.Equal(2, code);
        Assert.Contains("key 'promptIds:0:2': token id 99999 is outside the model's vocabulary [0, 4096)", stderr);
        Assert.False(Directory.Exists(Path.Combine(results, "generate")));
    }

    [Fact]
    public void AnOverflowDuringARunIsAnErrorNamingStepRowAndSiteInOneLine()
    {
        // Finite weights so large that float16 activations overflow: valid at preflight, non-finite inside the run.
        var folder = HfFolder(Directory.CreateDirectory(Path.Combine(_work, "model")).FullName, std: 200);
        var results = Path.Combine(_work, "results");
        var (code, _, stderr) = CliHost.Run(["run", "generate", "--results", results, "--set", $"model={folder}", "--set", "dType=float16", "--set", "maxNewTokens=3"]);

        Assert.Equal(1, code);
        Assert.Contains("trajectorylab run: generate failed: non-finite logits at step 0", stderr);
        Assert.Contains("batch row 0; first non-finite activation: blocks.", stderr);
        Assert.DoesNotContain("   at ", stderr);
        var log = System.Text.RegularExpressions.Regex.Match(stderr, @"details: (\S+\.log)").Groups[1].Value;
        Assert.Contains("   at ", File.ReadAllText(log)); // the whole exception is kept
        File.Delete(log);
        var run = Directory.GetDirectories(Path.Combine(results, "generate")).Single();
        var manifest = JsonNode.Parse(File.ReadAllText(Path.Combine(run, "manifest.json")))!;
        Assert.Equal("failed", manifest["status"]!.GetValue<string>());
        Assert.Contains("NonFiniteValueException", manifest["error"]!.GetValue<string>());
        Assert.Empty(manifest["headline"]!.AsObject()); // nothing was concluded
    }
}

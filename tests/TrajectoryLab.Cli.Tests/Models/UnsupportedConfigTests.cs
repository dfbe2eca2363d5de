// Configurations that name something this implementation does not compute — a model_type it does not read, a
// mixture-of-experts model (by its model_type, or a dense model_type carrying experts), a rope_scaling type a rotary
// family does not have, the multimodal Gemma 3 — stop before the run like every bad model (BadModelTests): exit code 2,
// one line naming config.json and the key, saying what is supported, no stack trace and no run folder.
using System.Text.Json.Nodes;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Cli.Tests.Models;

[Collection(ConsoleCollection.Name)]
public sealed class UnsupportedConfigTests : IDisposable
{
    readonly string _work = Directory.CreateTempSubdirectory("tlab-unsupported-").FullName;

    public void Dispose() => Directory.Delete(_work, recursive: true);

    const string Supported = "(supported: llama, mistral, qwen2, gpt2, gpt_neox, phi3, gemma, gemma2, gemma3_text, qwen3, olmo2, mamba)";

    /// <summary>A tiny random <paramref name="modelType"/> folder (vocabulary 64, no tokenizer) whose config.json
    /// <paramref name="edit"/> then changes.</summary>
    string Folder(string modelType, Action<JsonObject> edit)
    {
        var folder = Directory.CreateDirectory(Path.Combine(_work, "model")).FullName;
        using (var model = LanguageModel.Random(ModelSpec.Shaped(modelType, new ModelSizes(64, 16, 2, 2, 32, 32)), seed: 1))
            model.Save(folder);
        var path = Path.Combine(folder, "config.json");
        var config = JsonNode.Parse(File.ReadAllText(path))!.AsObject();
        edit(config);
        File.WriteAllText(path, config.ToJsonString());
        return folder;
    }

    static Action<JsonObject> Set(string key, JsonNode value) => c => c[key] = value;

    static JsonObject Rope(string type, string typeKey = "rope_type") => new() { [typeKey] = type, ["factor"] = 4.0 };

    /// <summary>Each case: the family the folder is written as, the edit, and what the line must contain.</summary>
    static readonly Dictionary<string, (string Family, Action<JsonObject> Edit, string[] Says)> Cases = new()
    {
        ["unknown model_type"] = ("llama", Set("model_type", "t5"), ["key 'model_type'", "'t5' is not supported", Supported]),
        ["mixtral"] = ("mistral", Set("model_type", "mixtral"), ["key 'model_type'", "mixture-of-experts", "only the dense 'mistral'", Supported]),
        ["qwen2_moe"] = ("qwen2", Set("model_type", "qwen2_moe"), ["key 'model_type'", "mixture-of-experts", "only the dense 'qwen2'", Supported]),
        ["qwen3_moe"] = ("qwen3", Set("model_type", "qwen3_moe"), ["key 'model_type'", "mixture-of-experts", "only the dense 'qwen3'", Supported]),
        ["olmoe"] = ("olmo2", Set("model_type", "olmoe"), ["key 'model_type'", "'olmoe' has mixture-of-experts MLPs", Supported]),
        ["llama with num_local_experts"] = ("llama", Set("num_local_experts", 8), ["key 'num_local_experts'", "8 experts", "mixture-of-experts", Supported]),
        ["mistral with num_local_experts"] = ("mistral", Set("num_local_experts", 8), ["key 'num_local_experts'", "mixture-of-experts"]),
        ["qwen2 with num_experts"] = ("qwen2", Set("num_experts", 60), ["key 'num_experts'", "60 experts", "mixture-of-experts"]),
        ["qwen3 with num_experts"] = ("qwen3", Set("num_experts", 128), ["key 'num_experts'", "mixture-of-experts"]),
        ["gemma3 multimodal"] = ("gemma3_text", Set("model_type", "gemma3"), ["key 'model_type'", "multimodal", "gemma3_text", Supported]),
        ["llama yarn"] = ("llama", Set("rope_scaling", Rope("yarn")), ["key 'rope_scaling.rope_type'", "'yarn' is not supported (supported: default, linear, dynamic, llama3)"]),
        ["llama yarn, old key"] = ("llama", Set("rope_scaling", Rope("yarn", "type")), ["key 'rope_scaling.type'", "'yarn' is not supported"]),
        ["mistral longrope"] = ("mistral", Set("rope_scaling", Rope("longrope")), ["key 'rope_scaling.rope_type'", "'longrope' is not supported (supported: default"]),
        ["qwen2 yarn"] = ("qwen2", Set("rope_scaling", Rope("yarn")), ["key 'rope_scaling.rope_type'", "'yarn' is not supported (supported: default"]),
        ["qwen3 yarn in rope_parameters"] = ("qwen3", Set("rope_parameters", new JsonObject { ["rope_type"] = "yarn", ["factor"] = 4.0, ["rope_theta"] = 1e6 }), ["key 'rope_parameters.rope_type'", "'yarn' is not supported (supported: default"]),
        ["olmo2 yarn"] = ("olmo2", Set("rope_scaling", Rope("yarn")), ["key 'rope_scaling.rope_type'", "'yarn' is not supported (supported: default"]),
        ["gpt_neox llama3"] = ("gpt_neox", Set("rope_scaling", Rope("llama3")), ["key 'rope_scaling.rope_type'", "'llama3' is not supported (supported: default, linear, dynamic)"]),
        ["phi3 longrope"] = ("phi3", Set("rope_scaling", Rope("longrope")), ["key 'rope_scaling.rope_type'", "'longrope' is not supported", "default"]),
        ["gemma dynamic"] = ("gemma", Set("rope_scaling", Rope("dynamic")), ["key 'rope_scaling.rope_type'", "'dynamic' is not supported for Gemma (supported: default, linear)"]),
        ["gemma2 yarn"] = ("gemma2", Set("rope_scaling", Rope("yarn", "type")), ["key 'rope_scaling.type'", "'yarn' is not supported for Gemma (supported: default, linear)"]),
        ["gemma3_text yarn"] = ("gemma3_text", Set("rope_scaling", Rope("yarn")), ["key 'rope_scaling.rope_type'", "'yarn' is not supported for Gemma (supported: default, linear)"]),
        ["gemma3_text scaled sliding layers"] = ("gemma3_text", Set("rope_parameters", new JsonObject
        {
            ["full_attention"] = new JsonObject { ["rope_type"] = "default", ["rope_theta"] = 1e6 },
            ["sliding_attention"] = new JsonObject { ["rope_type"] = "linear", ["factor"] = 2.0, ["rope_theta"] = 1e4 },
        }), ["key 'rope_parameters.sliding_attention.rope_type'", "only default"]),
    };

    public static TheoryData<string> Names => [.. Cases.Keys];

    [Theory]
    [MemberData(nameof(Names))]
    public void IsRefusedAtPreflightInOneLineNamingTheKey(string name)
    {
        var (family, edit, says) = Cases[name];
        var model = Folder(family, edit);
        var results = Path.Combine(_work, "results");

        var (code, stdout, stderr) = CliHost.Run(["run", "generate", "--results", results, "--set", $"model={model}", "--set", "promptIds=[[1, 2]]"]);

        Assert.True(code == 2, $"exit {code}: {stderr}");
        var line = Assert.Single(stderr.Trim().Split('\n'));
        Assert.StartsWith("trajectorylab run: ", line);
        Assert.Contains("key 'model': ", line);
        Assert.Contains(Path.Combine(model, "config.json"), line);
        foreach (var part in says) Assert.True(line.Contains(part, StringComparison.Ordinal), $"'{part}' not in: {line}");
        Assert.DoesNotContain("   at ", stderr);
        Assert.Equal("", stdout);
        Assert.False(Directory.Exists(Path.Combine(results, "generate")), "no run folder may be created");
    }
}

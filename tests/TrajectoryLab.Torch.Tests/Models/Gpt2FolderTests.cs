// GPT-2 Hugging Face folders: save → load is bit-exact (c_attn is the canonical W_QKV); checkpoints without the
// transformer. prefix (as openai-community/gpt2 ships) and with the causal-mask buffers old transformers versions saved
// (attn.bias as U8 or BOOL, attn.masked_bias) load the same weights; a
// tensor whose shape disagrees with config.json, and an unsupported model_type, are named in the error.
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Models;

public sealed class Gpt2FolderTests
{

    [Theory]
    [InlineData("gpt2-tied", ScalarType.Float32)]
    [InlineData("gpt2-untied-inner", ScalarType.Float32)]
    [InlineData("gpt2-untied-inner", ScalarType.BFloat16)]
    public void SaveThenLoadIsBitExact(string config, ScalarType dtype)
    {
        using var folder = new TempFolder();
        using var model = TinyGpt2s.Create(config, dtype: dtype);
        HfModelFolder.Save(model, folder.Path);
        using var loaded = HfModelFolder.Load(folder.Path, dtype);
        Assert.IsType<DecoderModel>(loaded);
        Assert.Equal(model.Spec with { TorchDType = null, EosTokenIds = null }, loaded.Spec with { TorchDType = null, EosTokenIds = null });
        SavedWeights.AssertSame(model, loaded);
        var tokens = TinyLlamas.Tokens(model.Spec, 2, 8, seed: 4);
        Assert.Equal(TinyLlamas.Logits(model, tokens), TinyLlamas.Logits(loaded, tokens));
    }

    [Fact]
    public void UnprefixedCheckpointWithMaskBuffersLoadsTheSameWeights()
    {
        using var saved = new TempFolder();
        using var bare = new TempFolder();
        using var model = TinyGpt2s.Create("gpt2-tied");
        HfModelFolder.Save(model, saved.Path);
        File.Copy(saved.File(HfConfigReader.FileName), bare.File(HfConfigReader.FileName));
        using (var reader = SafetensorsReader.Open(saved.File(SafetensorsCheckpoint.SingleFileName)))
        {
            var writer = new SafetensorsWriter();
            foreach (var entry in reader.Header.Tensors)
            {
                var data = new byte[entry.ByteLength];
                reader.ReadBytes(entry.Name, data);
                writer.Add(entry.Name[Gpt2WeightMap.Prefix.Length..], entry.DType, entry.Shape, data);
            }
            using var scope = NewDisposeScope();
            var mask = ones(1, 1, 16, 16).tril(); // [1, 1, n_positions, n_positions]
            writer.Add("h.0.attn.bias", mask.to_type(ScalarType.Byte)).Add("h.0.attn.masked_bias", tensor(-1e4f));
            writer.Add("h.1.attn.bias", mask.to_type(ScalarType.Bool)).Add("h.1.attn.masked_bias", tensor(-1e4f));
            writer.Save(bare.File(SafetensorsCheckpoint.SingleFileName));
        }

        using var loaded = HfModelFolder.Load(bare.Path);
        var expected = SavedWeights.Bytes(model);
        foreach (var (name, bytes) in SavedWeights.Bytes(loaded)) Assert.Equal(expected[name], bytes);
    }

    [Fact]
    public void TensorShapeThatDisagreesWithConfigNamesFileAndTensor()
    {
        using var folder = new TempFolder();
        using var model = TinyGpt2s.Create("gpt2-untied-inner");
        HfModelFolder.Save(model, folder.Path);
        var configPath = folder.File(HfConfigReader.FileName);
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"n_inner\": 40", "\"n_inner\": 44"));
        var e = Assert.Throws<CheckpointException>(() => HfModelFolder.Load(folder.Path).Dispose());
        Assert.Contains(folder.File(SafetensorsCheckpoint.SingleFileName), e.Message);
        Assert.Contains("tensor 'transformer.h.0.mlp.c_fc.weight'", e.Message);
        Assert.Contains("[24, 40] disagrees with config.json, which implies [24, 44]", e.Message);
    }

    [Fact]
    public void FusedQkvOfTheWrongWidthIsNamed()
    {
        using var folder = new TempFolder();
        using var model = TinyGpt2s.Create("gpt2-tied");
        HfModelFolder.Save(model, folder.Path);
        var weights = folder.File(SafetensorsCheckpoint.SingleFileName);
        using (var scope = NewDisposeScope())
        {
            var writer = new SafetensorsWriter(); // copies the tensors' bytes when it saves, so they live until then
            using (var reader = SafetensorsReader.Open(weights))
                foreach (var entry in reader.Header.Tensors)
                {
                    var tensor = reader.ReadTensor(entry.Name); // [stored shape]
                    writer.Add(entry.Name, entry.Name == "transformer.h.1.attn.c_attn.weight" ? tensor.narrow(1, 0, 64) : tensor); // q and k only
                }
            writer.Save(weights);
        }
        var e = Assert.Throws<CheckpointException>(() => HfModelFolder.Load(folder.Path).Dispose());
        Assert.Contains(weights, e.Message);
        Assert.Contains("tensor 'transformer.h.1.attn.c_attn.weight': shape [32, 64] disagrees with config.json, which implies [32, 96]", e.Message);
    }

    [Fact]
    public void UnsupportedModelTypeNamesFileAndKey()
    {
        using var folder = new TempFolder();
        using var model = TinyGpt2s.Create("gpt2-tied");
        HfModelFolder.Save(model, folder.Path);
        var configPath = folder.File(HfConfigReader.FileName);
        File.WriteAllText(configPath, File.ReadAllText(configPath).Replace("\"model_type\": \"gpt2\"", "\"model_type\": \"bloom\""));
        var e = Assert.Throws<CheckpointException>(() => HfModelFolder.Load(folder.Path).Dispose());
        Assert.Contains(configPath, e.Message);
        Assert.Contains("key 'model_type': 'bloom' is not supported", e.Message);
    }
}

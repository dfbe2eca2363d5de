// The tokenizer a model is trained with: a byte-level BPE learned from the training split (Sennrich et al. 2016;
// Radford et al. 2019), saved as tokenizer.json beside the run and loaded back through the same loader every model
// folder uses, so the model trains on exactly the ids a later `LanguageModel.Load` + `HfTokenizer.Load` will produce.
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Torch.Training;

/// <summary>A loaded tokenizer and the folder holding its files (tokenizer.json, tokenizer_config.json).</summary>
/// <param name="Tokenizer">Encodes and decodes; its EOS id separates documents.</param>
/// <param name="Folder">Where its files are; <see cref="CopyTo"/> puts them into a model folder.</param>
public sealed record TrainingTokenizer(ITextTokenizer Tokenizer, string Folder)
{
    /// <summary>The files a tokenizer folder holds.</summary>
    public static readonly IReadOnlyList<string> Files = ["tokenizer.json", "tokenizer_config.json"];

    /// <summary>The end-of-text id placed between documents.</summary>
    public int EndOfText =>
        Tokenizer.EosId ?? throw new InvalidOperationException($"{Folder}: the tokenizer has no EOS token to separate documents");

    /// <summary>
    /// The tokenizer in <paramref name="folder"/> if it holds one (a resumed run), else a byte-level BPE of
    /// <paramref name="vocabularySize"/> ids trained on <paramref name="texts"/> and saved there. Training is deterministic.
    /// </summary>
    public static TrainingTokenizer TrainOrLoad(IEnumerable<string> texts, int vocabularySize, string folder)
    {
        if (!File.Exists(Path.Combine(folder, "tokenizer.json")))
            ByteLevelBpeTrainer.Train(texts, new BpeTrainerOptions { VocabularySize = vocabularySize }).Save(folder);
        return new TrainingTokenizer(HfTokenizer.Load(folder), folder);
    }

    /// <summary>Copies the tokenizer's files into <paramref name="modelFolder"/>.</summary>
    public void CopyTo(string modelFolder)
    {
        Directory.CreateDirectory(modelFolder);
        foreach (var file in Files.Where(f => File.Exists(Path.Combine(Folder, f))))
            TrajectoryLab.Core.IO.AtomicFile.WriteAllBytes(Path.Combine(modelFolder, file), File.ReadAllBytes(Path.Combine(Folder, file)));
    }
}

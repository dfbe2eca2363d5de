// What training needs from a tokenizer: text ↔ ids, a document separator, and writing tokenizer.json into a model
// folder. The byte tokenizer implements it now; the trained BPE tokenizer (Tokenizers/) plugs in behind the same contract.
namespace TrajectoryLab.Torch.Training;

/// <summary>A tokenizer a language model is trained with.</summary>
public interface ITextTokenizer
{
    /// <summary>Number of token ids, specials included: ids are 0 … VocabSize − 1.</summary>
    int VocabSize { get; }

    /// <summary>The id placed between documents (GPT-2's &lt;|endoftext|&gt;).</summary>
    int EndOfText { get; }

    /// <summary>The ids of <paramref name="text"/> (no special tokens added).</summary>
    int[] Encode(string text);

    /// <summary>The text of <paramref name="ids"/>; special tokens are left out.</summary>
    string Decode(IReadOnlyList<int> ids);

    /// <summary>Writes tokenizer.json (Hugging Face tokenizers format) into <paramref name="folder"/>, atomically.</summary>
    void Save(string folder);
}

// Prompts as text or as token ids: "prompts" are encoded after the tokenizer's BOS (or EOS) token; "promptIds", when
// given, are used verbatim instead (nothing is prepended), which is how a model without a tokenizer is prompted. Both
// are checked before the run against the model's vocabulary and whether it has a tokenizer at all.
using System.Globalization;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Tokenizers;

namespace TrajectoryLab.Experiments.Shared;

/// <summary>Turns an experiment's prompts into token ids and checks them up front.</summary>
public static class PromptSource
{
    /// <summary>Each prompt's ids: <paramref name="ids"/> verbatim when nonempty, else each text after BOS (or EOS).</summary>
    public static int[][] Of(string[] prompts, int[][] ids, ITextTokenizer tokenizer)
    {
        if (ids.Length > 0)
            return [.. ids.Select(p => p.ToArray())];
        var start = tokenizer.BosId ?? tokenizer.EosId;
        return [.. prompts.Select(p => (start is int s ? new[] { s } : []).Concat(tokenizer.Encode(p)).ToArray())];
    }

    /// <summary>How a prompt is shown in reports: its text, or its ids when it was given as ids.</summary>
    public static string Label(string[] prompts, int[][] ids, int index) =>
        ids.Length > 0
            ? "ids [" + string.Join(", ", ids[index].Select(i => i.ToString(CultureInfo.InvariantCulture))) + "]"
            : prompts[index];

    /// <summary>The number of prompts.</summary>
    public static int Count(string[] prompts, int[][] ids) => ids.Length > 0 ? ids.Length : prompts.Length;

    /// <summary>The problem with the prompts for <paramref name="model"/>, naming the key, or null.</summary>
    /// <param name="prompts">The "prompts" value.</param>
    /// <param name="ids">The "promptIds" value.</param>
    /// <param name="model">The checked model.</param>
    /// <param name="prefix">The keys' section prefix ("" at the top level).</param>
    public static (string Key, string Problem)? Check(string[] prompts, int[][] ids, CheckedModel model, string prefix = "")
    {
        if (ids.Length > 0)
            return CheckIds(ids, model.Spec.VocabSize, prefix + "promptIds");
        if (prompts.Length == 0)
            return (prefix + "prompts", "give at least one prompt (or promptIds)");
        if (model.Tokenizer is null)
            return (prefix + "prompts", NoTokenizer(model, "promptIds", "[[1, 17, 250]]"));
        return null;
    }

    /// <summary>The problem with lists of token ids (each nonempty, each id in [0, vocabulary)), naming the element, or null.</summary>
    public static (string Key, string Problem)? CheckIds(int[][] ids, int vocabulary, string key)
    {
        for (var p = 0; p < ids.Length; p++)
        {
            if (ids[p] is not { Length: > 0 })
                return ($"{key}:{p}", "an empty list of token ids");
            for (var i = 0; i < ids[p].Length; i++)
                if (ids[p][i] < 0 || ids[p][i] >= vocabulary)
                    return (
                        $"{key}:{p}:{i}",
                        string.Create(
                            CultureInfo.InvariantCulture,
                            $"token id {ids[p][i]} is outside the model's vocabulary [0, {vocabulary})"
                        )
                    );
        }
        return null;
    }

    /// <summary>The message for text given to a model without a tokenizer.</summary>
    public static string NoTokenizer(CheckedModel model, string idsKey, string example) =>
        $"{model.Source.Path} has no tokenizer "
        + $"({(model.Source.Format == Torch.Checkpoints.ModelFormat.Llama2c ? "no tokenizer.bin beside it" : "no tokenizer.json")}), "
        + "so text cannot be encoded: "
        + $"give token ids instead (\"{idsKey}\": {example}) or name a tokenizer (\"tokenizer\": \"path/to/tokenizer.json\")";
}

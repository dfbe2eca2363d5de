// tokenizer.json's "normalizer": the steps applied to each stretch of text between added tokens before
// pre-tokenization. Supported: Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Lowercase, Strip; these cover
// Llama 2 / TinyLlama (Prepend "▁" + Replace " " → "▁") and NFC-normalizing byte-level tokenizers.
using System.Text;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>A chain of text normalization steps.</summary>
internal sealed class TextNormalizer
{
    private readonly IReadOnlyList<Func<string, string>> _steps;

    private TextNormalizer(IReadOnlyList<Func<string, string>> steps) => _steps = steps;

    /// <summary>Reads the normalizer at <paramref name="node"/>; null when there is none.</summary>
    public static TextNormalizer? Read(JsonKey? node)
    {
        if (node is not { } n)
            return null;
        var steps = new List<Func<string, string>>();
        Add(n, steps);
        return new TextNormalizer(steps);
    }

    /// <summary>Normalizes <paramref name="text"/>.</summary>
    public string Apply(string text)
    {
        foreach (var step in _steps)
            text = step(text);
        return text;
    }

    private static void Add(JsonKey node, List<Func<string, string>> steps)
    {
        var type = node.Required("type");
        switch (type.String())
        {
            case "Sequence":
                foreach (var child in node.Required("normalizers").Items())
                    Add(child, steps);
                break;
            case "Prepend":
                var prefix = node.Required("prepend").String();
                steps.Add(s => s.Length == 0 ? s : prefix + s);
                break;
            case "Replace":
                var regex = HfPattern.Read(node.Required("pattern"));
                var content = node.Required("content").String();
                steps.Add(s => regex.Replace(s, content.Replace("$", "$$", StringComparison.Ordinal)));
                break;
            case "NFC":
                steps.Add(s => s.Normalize(NormalizationForm.FormC));
                break;
            case "NFD":
                steps.Add(s => s.Normalize(NormalizationForm.FormD));
                break;
            case "NFKC":
                steps.Add(s => s.Normalize(NormalizationForm.FormKC));
                break;
            case "NFKD":
                steps.Add(s => s.Normalize(NormalizationForm.FormKD));
                break;
            case "Lowercase":
                steps.Add(s => s.ToLowerInvariant());
                break;
            case "Strip":
                var left = node.Bool("strip_left", true);
                var right = node.Bool("strip_right", true);
                steps.Add(s =>
                    left && right ? s.Trim()
                    : left ? s.TrimStart()
                    : right ? s.TrimEnd()
                    : s
                );
                break;
            default:
                throw type.Error(
                    $"normalizer '{type.String()}' is not supported "
                        + "(supported: Sequence, Prepend, Replace, NFC, NFD, NFKC, NFKD, Lowercase, Strip)"
                );
        }
    }
}

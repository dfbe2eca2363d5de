// tokenizer.json's "pre_tokenizer": splits normalized text into the pieces BPE works on. Supported: ByteLevel
// (GPT-2: optional prefix space, GPT-2 regex split, bytes shown in the byte-level alphabet), Split with a pattern
// and the "Isolated" (Llama 3, Qwen2) or "MergedWithPrevious" (Gemma's Split on " ") behaviour, Digits (SmolLM),
// Metaspace (SentencePiece "▁" for spaces), and Sequence.
// References: Radford et al. 2019 (GPT-2 byte-level BPE); Kudo & Richardson 2018 (SentencePiece's "▁").
using System.Text.RegularExpressions;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>The pre-tokenization steps of a tokenizer, applied in order.</summary>
internal sealed class PreTokenizerChain
{
    private readonly IReadOnlyList<Step> _steps;

    private PreTokenizerChain(IReadOnlyList<Step> steps) => _steps = steps;

    /// <summary>True when the steps only cut the text and, last, map it to the byte-level alphabet: pieces before the mapping
    /// concatenate back to the input, so they can be given as offsets (what Microsoft.ML.Tokenizers' PreTokenizer returns).</summary>
    public bool OnlySplitsThenMapsBytes =>
        _steps.Count > 0
        && _steps[^1].Kind == StepKind.ByteLevel
        && _steps.All(s => s.Kind == StepKind.Split || (s.Kind == StepKind.ByteLevel && !s.AddPrefixSpace));

    /// <summary>Reads the pre-tokenizer at <paramref name="node"/>; with none, a segment is one piece.</summary>
    public static PreTokenizerChain Read(JsonKey? node)
    {
        var steps = new List<Step>();
        if (node is { } n)
            Add(n, steps);
        if (steps.Count(s => s.Kind == StepKind.ByteLevel) > 1)
            throw node!.Value.Error("more than one ByteLevel pre-tokenizer");
        return new PreTokenizerChain(steps);
    }

    /// <summary>Appends the pieces of <paramref name="segment"/>.</summary>
    /// <param name="segment">Normalized text between added tokens.</param>
    /// <param name="atTextStart">Whether the segment starts the input (Metaspace's prepend_scheme "first").</param>
    /// <param name="mapBytes">Whether ByteLevel maps pieces to its alphabet (false: only cut them).</param>
    /// <param name="output">Receives the pieces.</param>
    public void Split(string segment, bool atTextStart, bool mapBytes, List<string> output)
    {
        List<string> pieces = [segment];
        var next = new List<string>();
        foreach (var step in _steps)
        {
            next.Clear();
            foreach (var piece in pieces)
                step.Apply(piece, atTextStart, mapBytes, next);
            (pieces, next) = (next, pieces);
        }
        output.AddRange(pieces);
    }

    private static void Add(JsonKey node, List<Step> steps)
    {
        var type = node.Required("type");
        switch (type.String())
        {
            case "Sequence":
                foreach (var child in node.Required("pretokenizers").Items())
                    Add(child, steps);
                break;
            case "ByteLevel":
                steps.Add(
                    new Step(
                        StepKind.ByteLevel,
                        node.Bool("use_regex", true) ? HfPattern.Gpt2Regex : null,
                        AddPrefixSpace: node.Bool("add_prefix_space", true),
                        Replacement: '\0',
                        Prepend: Prepend.Never,
                        SplitAtReplacement: false
                    )
                );
                break;
            case "Split":
                var behavior = node.Required("behavior");
                var kind = behavior.String() switch
                {
                    "Isolated" => StepKind.Split,
                    "MergedWithPrevious" => StepKind.SplitMergedWithPrevious,
                    var other => throw behavior.Error(
                        $"Split behavior '{other}' is not supported (supported: Isolated, MergedWithPrevious)"
                    ),
                };
                if (node.Bool("invert", false))
                    throw node.Required("invert").Error("inverted Split is not supported");
                steps.Add(new Step(kind, HfPattern.Read(node.Required("pattern")), false, '\0', Prepend.Never, false));
                break;
            case "Digits":
                // Hugging Face cuts at char::is_numeric, i.e. \p{N}: each digit alone, or runs of digits.
                var regex = HfPattern.Compile(node.Bool("individual_digits", false) ? @"\p{N}" : @"\p{N}+");
                steps.Add(new Step(StepKind.Split, regex, false, '\0', Prepend.Never, false));
                break;
            case "Metaspace":
                var replacement = node.Required("replacement");
                if (replacement.String().Length != 1)
                    throw replacement.Error("expected one character");
                steps.Add(new Step(StepKind.Metaspace, null, false, replacement.String()[0], ReadPrepend(node), node.Bool("split", true)));
                break;
            default:
                throw type.Error(
                    $"pre-tokenizer '{type.String()}' is not supported (supported: ByteLevel, Split, Digits, Metaspace, Sequence)"
                );
        }
    }

    /// <summary>Metaspace's prepend_scheme ("always", "first", "never"), or the older add_prefix_space flag.</summary>
    internal static Prepend ReadPrepend(JsonKey node)
    {
        if (node.Optional("prepend_scheme") is { } scheme)
            return scheme.String() switch
            {
                "always" => Prepend.Always,
                "first" => Prepend.First,
                "never" => Prepend.Never,
                var other => throw scheme.Error($"unknown prepend_scheme '{other}' (always, first, never)"),
            };
        return node.Bool("add_prefix_space", true) ? Prepend.Always : Prepend.Never;
    }

    /// <summary>When Metaspace puts its replacement character in front of a segment.</summary>
    internal enum Prepend
    {
        Always,
        First,
        Never,
    }

    private enum StepKind
    {
        ByteLevel,
        Split,
        SplitMergedWithPrevious,
        Metaspace,
    }

    private sealed record Step(StepKind Kind, Regex? Regex, bool AddPrefixSpace, char Replacement, Prepend Prepend, bool SplitAtReplacement)
    {
        public void Apply(string piece, bool atTextStart, bool mapBytes, List<string> output)
        {
            switch (Kind)
            {
                case StepKind.Split:
                    HfPattern.SplitIsolated(piece, Regex!, output);
                    break;
                case StepKind.SplitMergedWithPrevious:
                    HfPattern.SplitMergedWithPrevious(piece, Regex!, output);
                    break;
                case StepKind.ByteLevel:
                    if (AddPrefixSpace && !piece.StartsWith(' '))
                        piece = " " + piece;
                    var start = output.Count;
                    if (Regex is null)
                        output.Add(piece);
                    else
                        HfPattern.SplitIsolated(piece, Regex, output);
                    if (mapBytes)
                        for (var i = start; i < output.Count; i++)
                            output[i] = ByteLevelAlphabet.FromText(output[i]);
                    break;
                case StepKind.Metaspace:
                    piece = piece.Replace(' ', Replacement);
                    if ((Prepend == Prepend.Always || (Prepend == Prepend.First && atTextStart)) && !piece.StartsWith(Replacement))
                        piece = Replacement + piece;
                    if (!SplitAtReplacement)
                    {
                        output.Add(piece);
                        break;
                    }
                    var from = 0;
                    for (var i = 1; i < piece.Length; i++)
                        if (piece[i] == Replacement)
                        {
                            output.Add(piece[from..i]);
                            from = i;
                        }
                    output.Add(piece[from..]);
                    break;
            }
        }
    }
}

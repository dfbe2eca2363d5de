// tokenizer.json's "decoder": turns token pieces back into text. Supported: ByteLevel (byte-level alphabet → bytes),
// ByteFallback (<0xNN> pieces → bytes), Replace, Fuse, Strip, Metaspace ("▁" → space) and Sequence, with Hugging
// Face's semantics (each step maps the list of piece strings), except that invalid UTF-8 becomes one U+FFFD per
// maximal invalid subsequence (Hugging Face's ByteFallback writes one per byte of a run that fails as a whole).
// With no decoder, pieces are joined with spaces, as Hugging Face does.
using System.Globalization;
using System.Text;
using System.Text.RegularExpressions;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>The decoding steps of a tokenizer.</summary>
internal sealed class PieceDecoder
{
    private readonly IReadOnlyList<Step> _steps;

    private PieceDecoder(IReadOnlyList<Step> steps) => _steps = steps;

    /// <summary>True when the decoder is exactly one ByteLevel step.</summary>
    public bool IsByteLevelOnly => _steps is [{ Kind: StepKind.ByteLevel }];

    /// <summary>Reads the decoder at <paramref name="node"/> (null: join with spaces).</summary>
    public static PieceDecoder Read(JsonKey? node)
    {
        var steps = new List<Step>();
        if (node is { } n)
            Add(n, steps);
        return new PieceDecoder(steps);
    }

    /// <summary>The text of <paramref name="pieces"/>.</summary>
    /// <param name="pieces">Token strings as in the vocabulary.</param>
    /// <param name="forDisplay">Show one token as it appears inside a text: invalid bytes as <c>&lt;0xNN&gt;</c>, and no
    /// stripping of a leading space (Strip, Metaspace at the start).</param>
    public string Decode(IEnumerable<string> pieces, bool forDisplay)
    {
        var list = pieces.ToList();
        if (_steps.Count == 0)
            return string.Join(' ', list);
        foreach (var step in _steps)
            list = step.Apply(list, forDisplay);
        return string.Concat(list);
    }

    private static void Add(JsonKey node, List<Step> steps)
    {
        var type = node.Required("type");
        switch (type.String())
        {
            case "Sequence":
                foreach (var child in node.Required("decoders").Items())
                    Add(child, steps);
                break;
            case "ByteLevel":
                steps.Add(new Step(StepKind.ByteLevel));
                break;
            case "ByteFallback":
                steps.Add(new Step(StepKind.ByteFallback));
                break;
            case "Fuse":
                steps.Add(new Step(StepKind.Fuse));
                break;
            case "Replace":
                steps.Add(new Step(StepKind.Replace, HfPattern.Read(node.Required("pattern")), node.Required("content").String()));
                break;
            case "Strip":
                var content = node.Required("content");
                if (content.String().Length != 1)
                    throw content.Error("expected one character");
                steps.Add(
                    new Step(
                        StepKind.Strip,
                        Content: content.String(),
                        Start: node.Required("start").Int(),
                        Stop: node.Required("stop").Int()
                    )
                );
                break;
            case "Metaspace":
                var replacement = node.Required("replacement");
                if (replacement.String().Length != 1)
                    throw replacement.Error("expected one character");
                var stripFirst = PreTokenizerChain.ReadPrepend(node) != PreTokenizerChain.Prepend.Never;
                steps.Add(new Step(StepKind.Metaspace, Content: replacement.String(), Start: stripFirst ? 1 : 0));
                break;
            default:
                throw type.Error(
                    $"decoder '{type.String()}' is not supported "
                        + "(supported: ByteLevel, ByteFallback, Fuse, Replace, Strip, Metaspace, Sequence)"
                );
        }
    }

    private enum StepKind
    {
        ByteLevel,
        ByteFallback,
        Fuse,
        Replace,
        Strip,
        Metaspace,
    }

    private sealed record Step(StepKind Kind, Regex? Pattern = null, string Content = "", int Start = 0, int Stop = 0)
    {
        public List<string> Apply(List<string> pieces, bool forDisplay) =>
            Kind switch
            {
                StepKind.ByteLevel => [BytesToText(ByteLevelBytes(pieces), forDisplay)],
                StepKind.ByteFallback => ByteFallback(pieces, forDisplay),
                StepKind.Fuse => [string.Concat(pieces)],
                StepKind.Replace => pieces.Select(p => Pattern!.Replace(p, Content.Replace("$", "$$", StringComparison.Ordinal))).ToList(),
                StepKind.Strip => forDisplay ? pieces : pieces.Select(p => Strip(p, Content[0], Start, Stop)).ToList(),
                StepKind.Metaspace => pieces
                    .Select(
                        (p, i) =>
                        {
                            var text = p.Replace(Content[0], ' ');
                            return i == 0 && Start == 1 && !forDisplay && text.StartsWith(' ') ? text[1..] : text;
                        }
                    )
                    .ToList(),
                _ => throw new InvalidOperationException($"unhandled decoder step {Kind}"),
            };

        private static string BytesToText(List<byte> bytes, bool forDisplay) =>
            Utf8Text.Decode(System.Runtime.InteropServices.CollectionsMarshal.AsSpan(bytes), escapeInvalid: forDisplay);

        private static List<byte> ByteLevelBytes(List<string> pieces)
        {
            var bytes = new List<byte>();
            foreach (var piece in pieces)
                if (!ByteLevelAlphabet.TryAppendBytes(piece, bytes))
                    bytes.AddRange(Encoding.UTF8.GetBytes(piece)); // e.g. an added token outside the alphabet
            return bytes;
        }

        private static List<string> ByteFallback(List<string> pieces, bool forDisplay)
        {
            var output = new List<string>(pieces.Count);
            var run = new List<byte>();
            foreach (var piece in pieces)
            {
                if (TryByteToken(piece, out var b))
                {
                    run.Add(b);
                    continue;
                }
                if (run.Count > 0)
                    output.Add(BytesToText(run, forDisplay));
                run.Clear();
                output.Add(piece);
            }
            if (run.Count > 0)
                output.Add(BytesToText(run, forDisplay));
            return output;
        }

        private static bool TryByteToken(string piece, out byte b)
        {
            b = 0;
            return piece.Length == 6
                && piece.StartsWith("<0x", StringComparison.Ordinal)
                && piece[5] == '>'
                && byte.TryParse(piece.AsSpan(3, 2), NumberStyles.AllowHexSpecifier, CultureInfo.InvariantCulture, out b);
        }

        private static string Strip(string piece, char content, int start, int stop)
        {
            var from = 0;
            while (from < start && from < piece.Length && piece[from] == content)
                from++;
            var to = piece.Length;
            while (piece.Length - to < stop && to > from && piece[to - 1] == content)
                to--;
            return piece[from..to];
        }
    }
}

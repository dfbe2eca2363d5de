// The "pattern" objects of tokenizer.json ({"String": " "} or {"Regex": "..."}) as .NET regular expressions.
// .NET regexes match UTF-16 code units, so \p{L} and \p{N} miss letters and digits outside the Basic Multilingual
// Plane that Rust's regex (used by Hugging Face) matches; splits can differ there, the bytes never do.
using System.Text.RegularExpressions;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>Reads tokenizer.json patterns.</summary>
internal static class HfPattern
{
    /// <summary>GPT-2's pre-tokenization pattern, used by the ByteLevel pre-tokenizer when use_regex is true.</summary>
    /// <remarks>Radford et al. 2019 (GPT-2), encoder.py: contractions, optionally space-led letter runs, digit runs and
    /// other-symbol runs, then whitespace (a run of spaces before a word leaves its last space to the word).</remarks>
    public const string Gpt2 = @"'s|'t|'re|'ve|'m|'ll|'d| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+";

    /// <summary>The compiled GPT-2 pattern.</summary>
    public static Regex Gpt2Regex { get; } = Compile(Gpt2);

    /// <summary>Compiles a pattern with the options used everywhere here.</summary>
    public static Regex Compile(string pattern) => new(pattern, RegexOptions.Compiled | RegexOptions.CultureInvariant);

    /// <summary>Reads <c>{"String": s}</c> (matched literally) or <c>{"Regex": r}</c>.</summary>
    public static Regex Read(JsonKey pattern)
    {
        if (pattern.Optional("String") is { } literal)
            return Compile(Regex.Escape(literal.String()));
        if (pattern.Optional("Regex") is { } regex)
        {
            try
            {
                return Compile(regex.String());
            }
            catch (ArgumentException e)
            {
                throw regex.Error($"not a regular expression .NET can compile ({e.Message})");
            }
        }
        throw pattern.Error("expected {\"String\": ...} or {\"Regex\": ...}");
    }

    /// <summary>Appends the pieces of <paramref name="text"/> split around the matches of <paramref name="regex"/>, keeping both
    /// the matches and the text between them (Hugging Face's "Isolated" behaviour); a surrogate pair is never cut.</summary>
    public static void SplitIsolated(string text, Regex regex, List<string> output)
    {
        var ranges = new List<(int Start, int Length)>();
        SplitIsolated(text, 0, text.Length, regex, ranges);
        foreach (var (start, length) in ranges)
            output.Add(text.Substring(start, length));
    }

    /// <summary>Appends the pieces of <paramref name="text"/> split after each match of <paramref name="regex"/> (Hugging Face's
    /// "MergedWithPrevious" behaviour): a match joins the text before it, unless that text is itself a match or nothing
    /// ("a  b" split at " " gives "a ", " ", "b").</summary>
    public static void SplitMergedWithPrevious(string text, Regex regex, List<string> output)
    {
        var first = output.Count;
        var done = 0;
        var previousWasMatch = false;
        void Emit(int start, int end, bool isMatch)
        {
            if (end <= start)
                return;
            if (isMatch && !previousWasMatch && output.Count > first)
                output[^1] += text[start..end];
            else
                output.Add(text[start..end]);
            previousWasMatch = isMatch;
        }
        for (var match = regex.Match(text); match.Success; match = match.NextMatch())
        {
            if (match.Length == 0)
                continue;
            Emit(done, match.Index, false);
            Emit(match.Index, match.Index + match.Length, true);
            done = match.Index + match.Length;
        }
        Emit(done, text.Length, false);
    }

    /// <summary>As <see cref="SplitIsolated(string, Regex, List{string})"/> for <c>text[start..(start + length)]</c>, giving ranges of
    /// <paramref name="text"/>.</summary>
    public static void SplitIsolated(string text, int start, int length, Regex regex, List<(int Start, int Length)> output)
    {
        var done = start;
        var end = start + length;
        void Cut(int at)
        {
            if (at <= done || (at < end && char.IsLowSurrogate(text[at]) && char.IsHighSurrogate(text[at - 1])))
                return;
            output.Add((done, at - done));
            done = at;
        }
        for (var match = regex.Match(text, start, length); match.Success; match = match.NextMatch())
        {
            if (match.Length == 0)
                continue;
            Cut(match.Index);
            Cut(match.Index + match.Length);
        }
        Cut(end);
    }
}

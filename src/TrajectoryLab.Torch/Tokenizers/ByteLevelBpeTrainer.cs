// Trains a byte-level BPE tokenizer: texts are cut by GPT-2's pre-tokenization regex (special tokens removed), each
// distinct piece is a sequence of UTF-8 bytes (256 base tokens, so any text round-trips), and the most frequent
// adjacent pair is merged until the vocabulary is full. Pair counts are updated incrementally: a merge touches only
// the words that contain the pair, and a max-heap with lazy re-insertion finds the next pair. Ties go to the pair
// with the smaller (left id, right id), so training is deterministic.
// References: Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword Units" (BPE learning);
// Radford et al. 2019 (GPT-2 byte-level BPE and pre-tokenization).
using System.Text;

namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>Learns byte-level BPE merges from text.</summary>
public static class ByteLevelBpeTrainer
{
    /// <summary>Trains on <paramref name="texts"/> (enumerated once, so a lazily read stream works).</summary>
    /// <exception cref="ArgumentException">The options are invalid.</exception>
    public static TrainedBpeTokenizer Train(IEnumerable<string> texts, BpeTrainerOptions options)
    {
        options.Validate();
        var words = CountWords(texts, options.SpecialTokens);
        var tokens = new List<byte[]>(options.VocabularySize);
        var idOf = new Dictionary<string, int>(StringComparer.Ordinal); // Latin-1 view of a token's bytes → id
        for (var b = 0; b < 256; b++)
        {
            tokens.Add([(byte)b]);
            idOf[Encoding.Latin1.GetString(tokens[b])] = b;
        }

        var state = new PairState(words);
        var merges = new List<(int Left, int Right, int Merged)>();
        var learnedLimit = options.VocabularySize - options.SpecialTokens.Count;
        while (tokens.Count < learnedLimit && state.TryTakeBest(options.MinPairFrequency, out var left, out var right))
        {
            var bytes = tokens[left].Concat(tokens[right]).ToArray();
            var key = Encoding.Latin1.GetString(bytes);
            if (!idOf.TryGetValue(key, out var merged))
            {
                merged = tokens.Count;
                tokens.Add(bytes);
                idOf[key] = merged;
            }
            merges.Add((left, right, merged));
            state.Merge(left, right, merged);
        }
        return new TrainedBpeTokenizer(tokens, merges, options.SpecialTokens, options.BosToken, options.EosToken);
    }

    /// <summary>Distinct pre-tokens of the texts as UTF-8 byte sequences, with their counts.</summary>
    private static List<(int[] Symbols, long Count)> CountWords(IEnumerable<string> texts, IReadOnlyList<string> specialTokens)
    {
        var added = new AddedTokens([.. specialTokens.Select((t, i) => new AddedToken(i, t, Special: true))]);
        var counts = new Dictionary<string, long>(StringComparer.Ordinal);
        var lookup = counts.GetAlternateLookup<ReadOnlySpan<char>>();
        var segments = new List<TextSegment>();
        var pieces = new List<(int Start, int Length)>();
        foreach (var raw in texts)
        {
            var text = Utf8Text.ReplaceLoneSurrogates(raw);
            segments.Clear();
            added.Split(text, segments);
            foreach (var segment in segments)
            {
                if (segment.AddedId >= 0)
                    continue; // special tokens teach nothing
                pieces.Clear();
                HfPattern.SplitIsolated(text, segment.Start, segment.Length, HfPattern.Gpt2Regex, pieces);
                foreach (var (start, length) in pieces)
                {
                    var piece = text.AsSpan(start, length);
                    lookup[piece] = lookup.TryGetValue(piece, out var count) ? count + 1 : 1;
                }
            }
        }
        var words = new List<(int[], long)>(counts.Count);
        foreach (var (word, count) in counts)
            words.Add((Encoding.UTF8.GetBytes(word).Select(b => (int)b).ToArray(), count));
        return words;
    }

    /// <summary>The words as symbol sequences, the count of every adjacent pair, where each pair occurs, and a max-heap of pairs.</summary>
    private sealed class PairState
    {
        private readonly int[][] _symbols; // (words,) symbols of each word; the first _lengths[w] are live
        private readonly int[] _lengths; // (words,)
        private readonly long[] _counts; // (words,) occurrences of each word in the corpus
        private readonly int[] _visited; // (words,) last merge that rewrote the word, to skip repeats in _where
        private readonly Dictionary<long, long> _pairCounts = [];
        private readonly Dictionary<long, List<int>> _where = [];
        private readonly PriorityQueue<long, (long NegativeCount, long Pair)> _heap = new();
        private readonly HashSet<long> _grown = [];
        private int _mergeNumber;

        public PairState(List<(int[] Symbols, long Count)> words)
        {
            _symbols = [.. words.Select(w => w.Symbols)];
            _lengths = [.. words.Select(w => w.Symbols.Length)];
            _counts = [.. words.Select(w => w.Count)];
            _visited = new int[words.Count];
            for (var w = 0; w < _symbols.Length; w++)
            for (var i = 0; i + 1 < _lengths[w]; i++)
                Add(Key(_symbols[w][i], _symbols[w][i + 1]), _counts[w], w);
            foreach (var (pair, count) in _pairCounts)
                _heap.Enqueue(pair, (-count, pair));
            _grown.Clear();
        }

        /// <summary>The most frequent pair (ties: smallest left id, then right id), if it occurs at least <paramref name="minCount"/>
        /// times.</summary>
        public bool TryTakeBest(int minCount, out int left, out int right)
        {
            while (_heap.TryDequeue(out var pair, out var priority))
            {
                if (!_pairCounts.TryGetValue(pair, out var count) || count <= 0)
                    continue;
                if (count != -priority.NegativeCount)
                {
                    _heap.Enqueue(pair, (-count, pair)); // counts of old pairs only fall: re-queue with the current one
                    continue;
                }
                if (count < minCount)
                    break;
                left = (int)(pair >> 32);
                right = (int)(uint)pair;
                return true;
            }
            left = right = -1;
            return false;
        }

        /// <summary>Replaces every (left, right) in every word by <paramref name="merged"/> and updates the pair counts.</summary>
        public void Merge(int left, int right, int merged)
        {
            _mergeNumber++;
            var pair = Key(left, right);
            foreach (var w in _where[pair])
            {
                if (_visited[w] == _mergeNumber)
                    continue;
                _visited[w] = _mergeNumber;
                var s = _symbols[w];
                var n = _lengths[w];
                var count = _counts[w];
                var j = 0;
                for (var i = 0; i < n; )
                {
                    if (i + 1 < n && s[i] == left && s[i + 1] == right)
                    {
                        // s[j - 1] is already rewritten, so back-to-back occurrences cancel out correctly.
                        Add(pair, -count, w);
                        if (j > 0)
                        {
                            Add(Key(s[j - 1], left), -count, w);
                            Add(Key(s[j - 1], merged), count, w);
                        }
                        if (i + 2 < n)
                        {
                            Add(Key(right, s[i + 2]), -count, w);
                            Add(Key(merged, s[i + 2]), count, w);
                        }
                        s[j++] = merged;
                        i += 2;
                    }
                    else
                    {
                        s[j++] = s[i++];
                    }
                }
                _lengths[w] = j;
            }
            _where.Remove(pair);
            _pairCounts.Remove(pair);
            foreach (var grown in _grown)
                if (_pairCounts.TryGetValue(grown, out var c) && c > 0)
                    _heap.Enqueue(grown, (-c, grown));
            _grown.Clear();
        }

        private void Add(long pair, long delta, int word)
        {
            var count = _pairCounts.GetValueOrDefault(pair) + delta;
            if (count == 0)
                _pairCounts.Remove(pair);
            else
                _pairCounts[pair] = count;
            if (delta <= 0)
                return;
            _grown.Add(pair);
            if (!_where.TryGetValue(pair, out var list))
                _where[pair] = list = [];
            if (list.Count == 0 || list[^1] != word)
                list.Add(word);
        }

        private static long Key(int left, int right) => ((long)left << 32) | (uint)right;
    }
}

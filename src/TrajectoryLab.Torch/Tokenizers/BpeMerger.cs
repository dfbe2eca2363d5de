// The merge loop shared by every BPE encoder here: repeatedly merge the adjacent pair of symbols with the best
// priority (ties: the leftmost), until no adjacent pair can merge. Hugging Face BPE ranks pairs by merge order;
// llama2.c ranks them by the score of the merged token. A heap with lazy invalidation makes it O(n log n).
// References: Sennrich et al. 2016, "Neural Machine Translation of Rare Words with Subword Units";
// Kudo & Richardson 2018, "SentencePiece" (score-ordered merging).
namespace TrajectoryLab.Torch.Tokenizers;

/// <summary>Which adjacent symbols may merge, into what, and how urgently.</summary>
internal interface IPairMerges
{
    /// <summary>True when <paramref name="left"/> followed by <paramref name="right"/> merges into <paramref name="merged"/>;
    /// a lower <paramref name="priority"/> merges first.</summary>
    bool TryGetMerge(int left, int right, out double priority, out int merged);
}

/// <summary>Greedy pairwise merging of a symbol sequence.</summary>
internal static class BpeMerger
{
    /// <summary>Merges the symbols <c>symbols[start..]</c> in place.</summary>
    /// <remarks>At each step the pair with the lowest priority merges; among equal priorities the leftmost pair does, which is
    /// both Hugging Face's order (rank, then position) and llama2.c's (the first pair with the strictly best score).</remarks>
    public static void Merge(List<int> symbols, int start, IPairMerges merges)
    {
        var n = symbols.Count - start;
        if (n < 2)
            return;
        var ids = new int[n]; // (n,) symbol id at each original position; -1 once absorbed into its left neighbour
        var next = new int[n]; // (n,) next live position, n at the end
        var prev = new int[n]; // (n,) previous live position, -1 at the start
        for (var i = 0; i < n; i++)
        {
            ids[i] = symbols[start + i];
            next[i] = i + 1;
            prev[i] = i - 1;
        }
        var heap = new PriorityQueue<Candidate, (double Priority, int Position)>();
        void Offer(int left)
        {
            var right = next[left];
            if (right < n && merges.TryGetMerge(ids[left], ids[right], out var priority, out var merged))
                heap.Enqueue(new Candidate(left, right, ids[left], ids[right], merged), (priority, left));
        }
        for (var i = 0; i + 1 < n; i++)
            Offer(i);

        while (heap.TryDequeue(out var c, out _))
        {
            // A candidate is stale when either side has merged (its id changed) or the right side is gone.
            if (ids[c.Left] != c.LeftId || next[c.Left] != c.Right || ids[c.Right] != c.RightId)
                continue;
            ids[c.Left] = c.Merged;
            ids[c.Right] = -1;
            next[c.Left] = next[c.Right];
            if (next[c.Left] < n)
                prev[next[c.Left]] = c.Left;
            if (prev[c.Left] >= 0)
                Offer(prev[c.Left]);
            Offer(c.Left);
        }

        symbols.RemoveRange(start, n);
        for (var i = 0; i < n; i = next[i])
            symbols.Add(ids[i]);
    }

    private readonly record struct Candidate(int Left, int Right, int LeftId, int RightId, int Merged);
}

// Beam search through a GenerationSession: B rows per prompt, each step scores every (beam, token) extension by the beam's
// summed log-probability plus the token's, keeps the B best per prompt, and re-orders the rows so that beam i continues from
// its parent (GenerationSession.ReorderRows, which moves every layer's state: KV cache, sliding window, Mamba state).
// The semantics are Hugging Face transformers' beam search (generate with num_beams = B, do_sample = False) for fixed-length
// continuations: scores are log_softmax of the raw logits at temperature 1 plus the beam's running sum; at the first step
// every beam but the first starts at −1e9, so that the B beams are B distinct tokens; candidates are ranked over the
// B × d_vocab extensions of a prompt's beams (HF takes the top 2B to make room for finished hypotheses, and with no EOS the
// first B of them are these). There is no EOS handling: every beam runs to the requested length, as with
// eos_token_id = None (or min_length = max_length), which is also the fixed-length protocol of Welleck et al. (2019), whose
// evaluation points the EOS index at an unused symbol. All beams then have the same length, so HF's length_penalty
// (default 1.0: a finished hypothesis scores sum / length¹) and early_stopping do not change which beam wins; the result
// is the beam with the largest summed log-probability, which is reported unnormalised (HF's sequences_scores would be it
// divided by the number of generated tokens). Ties go to the lower (beam, token) index.
// References: transformers' GenerationMixin._beam_search and BeamSearchScorer (length_penalty = 1.0, early_stopping =
// False defaults); Welleck et al. (2019), "Neural Text Generation with Unlikelihood Training" (arXiv:1908.04319), §6 (beam
// 10 continuations); Holtzman et al. (2020), "The Curious Case of Neural Text Degeneration" (arXiv:1904.09751), §3 and
// Table 1 (beam search degenerates into repetition).
namespace TrajectoryLab.Torch.Generation;

/// <summary>The best beam of one prompt.</summary>
/// <param name="Tokens">The generated tokens (the prompt not included).</param>
/// <param name="LogProb">Σ ln p(token | context) over <paramref name="Tokens"/> at temperature 1.</param>
public sealed record BeamResult(int[] Tokens, double LogProb);

/// <summary>Beam search over a batch of prompts (see the file header for the Hugging Face semantics it matches).</summary>
public static class BeamSearch
{
    /// <summary>Score of the beams that do not exist yet at the first step (transformers' −1e9).</summary>
    public const double Absent = -1e9;

    /// <summary>Runs beam search of width <paramref name="width"/> for every prompt, all prompts in one session of
    /// prompts × width rows (prompts of unequal length are left-padded, each prompt's beams alike).</summary>
    /// <param name="model">The model; it must not have a session open.</param>
    /// <param name="prompts">[prompts][P_p] token ids.</param>
    /// <param name="width">B ≥ 1 beams per prompt (1 is greedy decoding).</param>
    /// <param name="newTokens">Tokens to generate per prompt, ≥ 1.</param>
    /// <param name="options">Options of the session (ablation, interventions…); its sampler, outputs, streams and length are
    /// replaced. Null for the defaults.</param>
    /// <param name="cancellation">Checked between steps.</param>
    /// <returns>One best beam per prompt.</returns>
    /// <exception cref="ArgumentOutOfRangeException">A width or length below 1.</exception>
    /// <exception cref="NonFiniteValueException">A step's logits hold a NaN or an infinity.</exception>
    public static IReadOnlyList<BeamResult> Run(
        LanguageModel model,
        int[][] prompts,
        int width,
        int newTokens,
        GenerationOptions? options = null,
        CancellationToken cancellation = default
    )
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(newTokens, 1);
        if (prompts.Length == 0)
            throw new ArgumentException("beam search needs at least one prompt", nameof(prompts));
        var rows = prompts.Length * width;
        using var session = model.StartSession(
            (options ?? new GenerationOptions()) with
            {
                MaxNewTokens = newTokens,
                Sampler = Sampling.SamplerOptions.Greedy,
                RowSamplers = null,
                StreamIds = null,
                Outputs = StepOutputs.LogProbs,
            }
        );
        var scores = new double[rows]; // [rows] each beam's summed log-probability
        for (var r = 0; r < rows; r++)
            scores[r] = r % width == 0 ? 0 : Absent;
        var beams = new int[rows][]; // [rows][generated] each beam's tokens
        Array.Fill(beams, []);
        var result = session.Prefill([.. prompts.SelectMany(p => Enumerable.Repeat(p, width))]);
        for (var step = 0; step < newTokens; step++)
        {
            cancellation.ThrowIfCancellationRequested();
            var logProbs = result.LogProbs!; // [rows][d_vocab]
            var parents = new int[rows];
            var tokens = new int[rows];
            var next = new double[rows];
            for (var p = 0; p < prompts.Length; p++)
            {
                var best = Best(logProbs, scores, p * width, width);
                for (var i = 0; i < width; i++)
                    (parents[p * width + i], tokens[p * width + i], next[p * width + i]) = best[i];
            }
            beams = [.. parents.Select((parent, r) => beams[parent].Append(tokens[r]).ToArray())];
            scores = next;
            if (step + 1 == newTokens)
                break; // the beams are complete: nothing reads the re-ordered state
            session.ReorderRows(parents, tokens);
            result = session.Step();
        }
        return
        [
            .. Enumerable
                .Range(0, prompts.Length)
                .Select(p =>
                {
                    var top = Enumerable.Range(p * width, width).MaxBy(r => scores[r]); // the first of equal scores
                    return new BeamResult(beams[top], scores[top]);
                }),
        ];
    }

    /// <summary>The <paramref name="width"/> best extensions of beams <paramref name="first"/> … first + width − 1, best
    /// first; ties go to the lower (beam, token) index.</summary>
    /// <returns>[width] (parent row, token, summed log-probability).</returns>
    private static (int Row, int Token, double Score)[] Best(float[][] logProbs, double[] scores, int first, int width)
    {
        var kept = new (int Row, int Token, double Score)[width];
        var count = 0;
        for (var row = first; row < first + width; row++)
        {
            var lp = logProbs[row]; // [d_vocab]
            for (var token = 0; token < lp.Length; token++)
            {
                var score = scores[row] + lp[token];
                if (count == width && !(score > kept[width - 1].Score))
                    continue;
                var at = Math.Min(count, width - 1);
                while (at > 0 && score > kept[at - 1].Score)
                {
                    kept[at] = kept[at - 1];
                    at--;
                }
                kept[at] = (row, token, score);
                count = Math.Min(count + 1, width);
            }
        }
        return kept;
    }
}

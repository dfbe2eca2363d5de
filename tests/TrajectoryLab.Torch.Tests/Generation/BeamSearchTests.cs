// Beam search and the row re-ordering it rests on (GenerationSession.ReorderRows → every layer's ILayerState.CopyRows
// from column 0). Re-ordering the rows mid-run and stepping on gives each row the logits of one cache-free pass
// over its re-ordered context, for a full KV cache (Llama), a sliding-window cache whose old columns move (Mistral, window
// 3) and a recurrent state (Mamba). Beam width 1 is greedy decoding exactly; a wider beam's reported log-prob is the
// model's log-prob of its tokens and, at these seeds, at least greedy's; with width = vocab² on a vocabulary of 8 and 3
// steps the beam keeps every 2-token prefix, so it must return the exhaustive argmax over all 512 continuations.
// References: transformers' GenerationMixin._beam_search (the semantics BeamSearch matches, see its header).
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Tests.Models;

namespace TrajectoryLab.Torch.Tests.Generation;

public sealed class BeamSearchTests
{
    private static (LanguageModel Model, CausalLm Inner) Create(string config, long seed = 7)
    {
        CausalLm inner = config switch
        {
            "mistral-window-3" => TinyQwen3s.Create(config, seed),
            "mamba-tied" => TinyMambas.Create(config, seed),
            _ => TinyLlamas.Create(config, seed),
        };
        return (new LanguageModel(inner), inner);
    }

    /// <summary>Σ ln softmax(logits)[token] of <paramref name="continuation"/> after <paramref name="prompt"/>, in double,
    /// from one cache-free pass.</summary>
    private static double LogProb(CausalLm model, int[] prompt, int[] continuation) => LogProbs(model, prompt, [continuation])[0];

    private static double[] LogProbs(CausalLm model, int[] prompt, int[][] continuations)
    {
        int[][] contexts = [.. continuations.Select(c => prompt.Concat(c).ToArray())];
        var logits = TinyLms.FullLogits(model, contexts); // [batch][pos][d_vocab]
        return
        [
            .. continuations.Select(
                (c, b) =>
                    c.Select(
                            (token, s) =>
                            {
                                var row = logits[b][prompt.Length - 1 + s];
                                var max = row.Max();
                                return row[token] - max - Math.Log(row.Sum(x => Math.Exp(x - max)));
                            }
                        )
                        .Sum()
            ),
        ];
    }

    [Theory]
    [InlineData("gqa-untied")]
    [InlineData("mistral-window-3")]
    [InlineData("mamba-tied")]
    public void ReorderedRowsStepOnAsTheirReorderedContextsFromScratch(string config)
    {
        var (model, inner) = Create(config);
        using var owner = model;
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 3, length: 4, seed: 2);
        const int before = 5,
            after = 7; // the window of 3 moves its columns several times
        var results = new List<StepResult>();
        int[][] contexts;
        using (var session = model.StartSession(new GenerationOptions { MaxNewTokens = before + after, Outputs = StepOutputs.Logits }))
        {
            session.Prefill(prompts);
            for (var s = 1; s < before; s++)
                session.Step();
            var parents = new[] { 2, 0, 0 };
            var expectedPrefix = parents.Select(p => session.Tokens(p)[..^1]).ToArray();
            int[] pending = [5, 2, 2];
            session.ReorderRows(parents, pending);
            for (var b = 0; b < 3; b++)
                Assert.Equal(expectedPrefix[b].Append(pending[b]), session.Tokens(b));
            for (var s = 0; s < after; s++)
                results.Add(session.Step());
            contexts = [.. Enumerable.Range(0, 3).Select(session.Tokens)];
        }
        Assert.Equal(contexts[1][..^after], contexts[2][..^after]); // both copies of row 0 …
        Assert.Equal(contexts[1], contexts[2]); // … and greedy keeps them equal
        var full = TinyLms.FullLogits(inner, [.. contexts.Select(c => c[..^1])]); // [batch][pos][d_vocab]
        foreach (var result in results)
            for (var b = 0; b < 3; b++)
                Assert.True(
                    TinyLms.RelativeError(result.Logits![b], full[b][result.Position]) < 1e-5,
                    $"{config} row {b} position {result.Position}"
                );
    }

    [Fact]
    public void ReorderRowsRefusesRowsOutsideTheBatchAndAParentOfAnotherPadding()
    {
        var (model, _) = Create("gqa-untied");
        using var owner = model;
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 4 });
        Assert.Throws<InvalidOperationException>(() => session.ReorderRows([0, 0]));
        session.Prefill([
            [1, 2, 3],
            [4, 5],
        ]);
        Assert.Throws<ArgumentException>(() => session.ReorderRows([0, 2]));
        Assert.Throws<ArgumentException>(() => session.ReorderRows([0]));
        Assert.Throws<ArgumentException>(() => session.ReorderRows([1, 1])); // row 1 is padded, row 0 is not
        Assert.Throws<ArgumentException>(() => session.ReorderRows([0, 1], pending: [0, model.Spec.VocabSize]));
    }

    [Theory]
    [InlineData("gqa-untied")]
    [InlineData("mamba-tied")]
    public void WidthOneIsGreedyDecoding(string config)
    {
        var (model, inner) = Create(config);
        using var owner = model;
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 3, length: 4, seed: 5);
        const int steps = 9;
        var greedy = TinyLms.Run(model, new GenerationOptions(), prompts, steps);
        var beams = BeamSearch.Run(model, prompts, width: 1, newTokens: steps);
        for (var b = 0; b < prompts.Length; b++)
        {
            int[] tokens = [.. greedy.Select(r => r.Tokens[b])];
            Assert.Equal(tokens, beams[b].Tokens);
            Assert.Equal(LogProb(inner, prompts[b], tokens), beams[b].LogProb, 1e-4);
        }
    }

    [Theory]
    [InlineData(2)]
    [InlineData(4)]
    [InlineData(10)]
    public void AWiderBeamReportsItsTokensLogProbAndBeatsGreedy(int width)
    {
        var (model, inner) = Create("gqa-untied", seed: 11);
        using var owner = model;
        var prompts = TinyLlamas.Tokens(model.Spec, batch: 4, length: 3, seed: 8);
        const int steps = 8;
        var greedy = TinyLms.Run(model, new GenerationOptions(), prompts, steps);
        var beams = BeamSearch.Run(model, prompts, width, steps);
        var better = 0;
        for (var b = 0; b < prompts.Length; b++)
        {
            Assert.Equal(steps, beams[b].Tokens.Length);
            Assert.Equal(LogProb(inner, prompts[b], beams[b].Tokens), beams[b].LogProb, 1e-4);
            var greedyLogProb = LogProb(inner, prompts[b], [.. greedy.Select(r => r.Tokens[b])]);
            Assert.True(beams[b].LogProb >= greedyLogProb - 1e-4, $"prompt {b}: beam {beams[b].LogProb} < greedy {greedyLogProb}");
            if (beams[b].LogProb > greedyLogProb + 1e-4)
                better++;
        }
        Assert.True(better > 0, "no prompt where the beam found a more probable continuation than greedy");
    }

    [Fact]
    public void WidthVocabSquaredIsExhaustiveSearchOverThreeSteps()
    {
        var spec = TinyLlamas.Specs["gqa-untied"] with { VocabSize = 8 };
        var inner = new DecoderModel(spec);
        inner.InitializeRandom(seed: 4, std: 0.6);
        using var model = new LanguageModel(inner);
        int[][] prompts =
        [
            [1, 5],
            [3, 0],
            [7, 7],
        ];
        var beams = BeamSearch.Run(model, prompts, width: 64, newTokens: 3);
        int[][] all = [.. Enumerable.Range(0, 512).Select(i => new[] { i / 64, i / 8 % 8, i % 8 })];
        for (var p = 0; p < prompts.Length; p++)
        {
            var logProbs = LogProbs(inner, prompts[p], all);
            var best = Enumerable.Range(0, 512).MaxBy(i => logProbs[i]);
            Assert.Equal(all[best], beams[p].Tokens);
            Assert.Equal(logProbs[best], beams[p].LogProb, 1e-4);
        }
    }

    [Fact]
    public void BadArgumentsAreRefused()
    {
        var (model, _) = Create("gqa-untied");
        using var owner = model;
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            BeamSearch.Run(
                model,
                [
                    [1, 2],
                ],
                width: 0,
                newTokens: 3
            )
        );
        Assert.Throws<ArgumentOutOfRangeException>(() =>
            BeamSearch.Run(
                model,
                [
                    [1, 2],
                ],
                width: 2,
                newTokens: 0
            )
        );
        Assert.Throws<ArgumentException>(() => BeamSearch.Run(model, [], width: 2, newTokens: 3));
    }
}

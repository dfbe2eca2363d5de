// The four measurements architecture-stability makes on each model. Spectra: Benettin's tangent + QR method on the
// teacher-forced generation map (TeacherForcedDynamics; for a Mamba the tangents live in the SSM state and convolution
// window, for a transformer in the key–value cache). Butterfly: free-running perturbed copies (FreeRunningDynamics) and the
// first step their tokens part. Memory: replace the token at t by another and read KL(p ‖ p') of the next-token
// distribution at t + d (how long the substitution is still felt), and a ridge probe that recovers token t from the top
// residual at t + d (how long it is still readable). Length: entropy, surprisal and ||h|| over positions up to
// factor × the training context, and where a greedy continuation settles into a loop.
// References: Benettin et al. (1980), Meccanica 15:9; Lorenz (1963); Alain & Bengio (2016) (probes); Press et al. (2022),
// "Train Short, Test Long" (ALiBi; positions past training); Gu & Dao (2023) (selective state spaces).
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Core.Randomness;
using TrajectoryLab.Core.Statistics;
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using TrajectoryLab.Torch.Sampling;

namespace TrajectoryLab.Experiments.ArchitectureStability;

/// <summary>The per-model measurements.</summary>
internal static class ContrastMeasures
{
    /// <summary>The spectrum and two-trajectory λ1 of <paramref name="model"/> on the first tokens of <paramref name="text"/>.</summary>
    public static SpectrumCell Spectrum(string label, LanguageModel model, TokenizedText text, SpectrumSettings s, int seed)
    {
        var tokens = text.Tokens[..s.Tokens];
        var steps = tokens.Length - s.PromptLength - s.Transient;
        var options = new TeacherForcedOptions
        {
            Layer = s.Layer,
            Directions = Math.Min(s.Directions, model.Spec.HiddenSize),
            Epsilon = s.Epsilon,
            PromptLength = s.PromptLength,
            Seed = seed,
        };
        LyapunovSpectrumResult spectrum;
        using (var run = TeacherForcedDynamics.Start(model, tokens, options))
            spectrum = LyapunovSpectrum.Compute(run, new LyapunovSpectrumOptions(s.Transient, steps, 1, 200));
        MaximalExponentResult pair;
        using (var run = TeacherForcedDynamics.Start(model, tokens, options with { Directions = 1 }))
            pair = MaximalExponent.Compute(run, new MaximalExponentOptions(s.Transient, steps, 1, 200));
        return new SpectrumCell(
            label,
            text.Name,
            spectrum.Exponents,
            pair.Exponent,
            [.. spectrum.Convergence.Select(c => c.Time)],
            [.. spectrum.Convergence.Select(c => c.Values[0])],
            spectrum.Breakdown
        );
    }

    /// <summary>Every perturbed copy of every prompt, ε and temperature.</summary>
    public static IEnumerable<ButterflyCopy> Butterfly(string label, LanguageModel model, int[][] prompts, ButterflySettings s, int seed)
    {
        foreach (var temperature in s.Temperatures)
            for (var p = 0; p < prompts.Length; p++)
            {
                var run = FreeRunningDynamics.Run(
                    model,
                    prompts[p],
                    new FreeRunningOptions
                    {
                        Layer = s.Layer,
                        Epsilons = s.Epsilons,
                        CopiesPerEpsilon = s.Copies,
                        Steps = s.Steps,
                        Sampler = temperature == 0 ? SamplerOptions.Greedy : new SamplerOptions { Temperature = temperature },
                        Seed = seed + p,
                    }
                );
                foreach (var c in run.Copies)
                {
                    var first = TokenDivergence.FirstDivergence<int>(run.ReferenceTokens, c.Tokens);
                    var broke = c.BreakdownStep is { } b && (first is null || first >= b);
                    yield return new ButterflyCopy(label, temperature, c.Epsilon, p, c.Copy, broke ? null : first, broke);
                }
            }
    }

    /// <summary>Substitutes <see cref="MemorySettings.Positions"/> positions of the text one at a time (one batch) and reads
    /// the KL divergence of the next-token distribution at t + d for every distance.</summary>
    public static IEnumerable<SubstitutionSample> Substitutions(
        string label,
        LanguageModel model,
        int textIndex,
        int[] text,
        MemorySettings s,
        int seed
    )
    {
        var tokens = text[..s.Tokens];
        var maxD = s.Distances.Max();
        int first = 1,
            last = tokens.Length - 1 - maxD; // t + d stays inside the text; position 0 (BOS) is not substituted
        var positions = Enumerable
            .Range(0, s.Positions)
            .Select(i => first + (int)((long)(last - first) * i / Math.Max(1, s.Positions - 1)))
            .Distinct()
            .ToArray();
        var random = new SplitMix64((ulong)(seed * 7919 + textIndex));
        var rows = new int[positions.Length + 1][];
        rows[0] = tokens;
        for (var i = 0; i < positions.Length; i++)
        {
            rows[i + 1] = (int[])tokens.Clone();
            var other = random.NextInt(model.Spec.VocabSize - 1);
            rows[i + 1][positions[i]] = other >= tokens[positions[i]] ? other + 1 : other; // any token but the original
        }
        var logits = Logits(model, rows); // [rows][n · vocab]
        var vocabulary = model.Spec.VocabSize;
        for (var i = 0; i < positions.Length; i++)
        {
            var t = positions[i];
            var kl = s.Distances.Select(d =>
                ContrastStatistics.Kl(
                    logits[0].AsSpan((t + d) * vocabulary, vocabulary),
                    logits[i + 1].AsSpan((t + d) * vocabulary, vocabulary)
                )
            );
            yield return new SubstitutionSample(label, textIndex, t, [.. kl]);
        }
    }

    /// <summary>The probe's held-out accuracy per distance: features are the top residual at t + d, the label token t
    /// restricted to the <see cref="MemorySettings.ProbeClasses"/> most frequent tokens of the training texts (even-numbered
    /// texts train, odd-numbered test).</summary>
    /// <param name="label">The model's label.</param>
    /// <param name="texts">Every text's tokens.</param>
    /// <param name="residuals">Every text's top residual, [n · d_model].</param>
    /// <param name="width">d_model.</param>
    /// <param name="s">Settings.</param>
    public static IEnumerable<ProbePoint> Probe(string label, int[][] texts, float[][] residuals, int width, MemorySettings s)
    {
        var train = Enumerable.Range(0, texts.Length).Where(i => i % 2 == 0).ToArray();
        var test = Enumerable.Range(0, texts.Length).Where(i => i % 2 == 1).ToArray();
        var classes = train
            .SelectMany(i => texts[i])
            .GroupBy(t => t)
            .OrderByDescending(g => g.Count())
            .ThenBy(g => g.Key)
            .Take(s.ProbeClasses)
            .Select((g, c) => (g.Key, c))
            .ToDictionary(x => x.Key, x => x.c);
        foreach (var d in s.Distances)
        {
            (List<double[]> X, List<int> Y) Samples(int[] which)
            {
                var (x, y) = (new List<double[]>(), new List<int>());
                foreach (var i in which)
                    for (var t = 0; t + d < texts[i].Length; t++)
                        if (classes.TryGetValue(texts[i][t], out var c))
                        {
                            x.Add([.. residuals[i].AsSpan((t + d) * width, width).ToArray().Select(v => (double)v)]);
                            y.Add(c);
                        }
                return (x, y);
            }
            var (xTrain, yTrain) = Samples(train);
            var (xTest, yTest) = Samples(test);
            if (xTrain.Count == 0 || xTest.Count == 0)
                continue;
            var probe = RidgeProbe.Fit(xTrain, yTrain, classes.Count, s.ProbeLambda);
            var correct = xTest.Where((f, i) => probe.Predict(f) == yTest[i]).Count();
            var majority = yTrain.GroupBy(c => c).OrderByDescending(g => g.Count()).ThenBy(g => g.Key).First().Key;
            yield return new ProbePoint(label, d, correct, xTest.Count, yTest.Count(c => c == majority) / (double)yTest.Count);
        }
    }

    /// <summary>The teacher-forced profile of one text (logits and top residual from one prefill) and where the greedy
    /// continuation of its first <see cref="LengthSettings.PromptLength"/> tokens settles into a loop.</summary>
    /// <returns>The profile and the residual [n · d_model] (the probe reads it).</returns>
    public static (LengthProfile Profile, float[] Residual) Length(
        string label,
        LanguageModel model,
        int textIndex,
        int[] text,
        LengthSettings s
    )
    {
        var n = s.TrainingContext * s.Factor;
        var tokens = text[..n];
        var capture = Shared.PrefillPass.Read(model, tokens, patterns: false, residual: true);
        var vocabulary = model.Spec.VocabSize;
        var width = model.Spec.HiddenSize;
        var entropy = new double[n - 1];
        var surprisal = new double[n - 1];
        var norm = new double[n - 1];
        var logProbs = new double[vocabulary];
        for (var t = 0; t < n - 1; t++)
        {
            ContrastStatistics.LogSoftmax(capture.Logits.AsSpan(t * vocabulary, vocabulary), logProbs);
            entropy[t] = TokenEntropy.Entropy(logProbs);
            surprisal[t] = TokenEntropy.Surprisal(logProbs, tokens[t + 1]);
            var h = capture.TopResidual.AsSpan(t * width, width);
            var sum = 0.0;
            foreach (var v in h)
                sum += (double)v * v;
            norm[t] = Math.Sqrt(sum);
        }

        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = n - s.PromptLength });
        var generated = new List<int>(tokens[..s.PromptLength]) { session.Prefill([tokens[..s.PromptLength]]).Tokens[0] };
        while (generated.Count < n)
            generated.Add(session.Step().Tokens[0]);
        var cycle = CycleDetector.Detect([.. generated]);
        return (
            new LengthProfile(
                label,
                textIndex,
                entropy,
                surprisal,
                norm,
                cycle.IsLoop ? cycle.Onset : null,
                cycle.IsLoop ? cycle.Period : 0
            ),
            capture.TopResidual
        );
    }

    /// <summary>Next-token logits at every position of every row, one prefill: [rows][n · vocab].</summary>
    private static float[][] Logits(LanguageModel model, int[][] rows)
    {
        using var session = model.StartSession(
            new GenerationOptions
            {
                MaxNewTokens = 1,
                PromptLogits = true,
                Capture = [HookNames.Logits],
            }
        );
        return session.Prefill(rows).Activations[HookNames.Logits].Rows;
    }
}

// Decode and prefill throughput of a causal LM through the one forward implementation that every experiment uses:
// greedy decoding of B trajectories through the model state (one dispose scope per step), and a prefill of P tokens.
// The figures are read against the machine floors measured in the same run (MachineBaselines): the bytes of weights a
// token must stream (bandwidth floor), the FLOPs it needs (arithmetic floor) and the native calls it makes (call floor).
// Compare measures the same loop for several architectures of the same sizes (ModelSpec.Shaped), interleaved, without the
// floors.
using System.Diagnostics;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Bench;

/// <summary>One measured configuration.</summary>
/// <param name="Batch">Trajectories decoded together.</param>
/// <param name="NewTokens">Tokens generated per trajectory.</param>
/// <param name="TokensPerSecond">Aggregate generated tokens per second (best of the repeats).</param>
/// <param name="MillisecondsPerStep">Wall time of one decoding step for the whole batch.</param>
/// <param name="LibTorchTokensPerSecond">The same with every product in libtorch (<see cref="WeightProduct.LibTorchOnly"/>:
/// the column-blocked matmul the model used before the C# kernel): the baseline measured in the same run.</param>
public sealed record DecodeMeasurement(
    int Batch,
    int NewTokens,
    double TokensPerSecond,
    double MillisecondsPerStep,
    double LibTorchTokensPerSecond
);

/// <summary>Prefill of <paramref name="Tokens"/> positions in one forward pass, with the head at the last position (what a
/// generation session runs) and, as same-run baselines, at every position and with every product in libtorch.</summary>
public sealed record PrefillMeasurement(
    int Tokens,
    double TokensPerSecond,
    double Milliseconds,
    double AllPositionsTokensPerSecond,
    double LibTorchTokensPerSecond = double.NaN
);

/// <summary>Everything one decode benchmark run measured.</summary>
/// <param name="Parameters">Number of model parameters.</param>
/// <param name="WeightBytes">Bytes of weights streamed per decoding step (all matrices incl. embedding-as-head).</param>
/// <param name="FlopsPerToken">2 × multiply-adds of the matrix products for one token at context length 0.</param>
/// <param name="Decode">One measurement per batch size.</param>
/// <param name="Prefill">The prefill measurement.</param>
/// <param name="Machine">The machine floors measured in the same run.</param>
/// <param name="PeakResidentMiB">Peak resident memory of the process.</param>
/// <param name="SimdMatVecTokensPerSecond">Passes per second of <see cref="SimdMatVecBaseline"/> over the same matrices
/// (the plain C# SIMD stream of the weights a batch-1 step reads); null in a result saved before it was measured.</param>
/// <param name="WeightReadGBps">Read rate of <see cref="WeightReadBaseline"/> over the model's own weight tensors, timed
/// between the batch-1 repeats (the bandwidth floor of the memory the step streams); null where the CPU lacks 512-bit
/// vectors or in a result saved before it was measured.</param>
public sealed record DecodeBenchmarkResult(
    long Parameters,
    long WeightBytes,
    double FlopsPerToken,
    IReadOnlyList<DecodeMeasurement> Decode,
    PrefillMeasurement Prefill,
    MachineBaselines Machine,
    double PeakResidentMiB,
    double? SimdMatVecTokensPerSecond = null,
    double? WeightReadGBps = null
);

/// <summary>Decode throughput of one compared architecture at one batch size.</summary>
/// <param name="Batch">Trajectories decoded together.</param>
/// <param name="TokensPerSecond">Aggregate generated tokens per second (best of the repeats).</param>
/// <param name="MillisecondsPerStep">Wall time of one decoding step for the whole batch.</param>
public sealed record BatchThroughput(int Batch, double TokensPerSecond, double MillisecondsPerStep);

/// <summary>Throughput of one architecture in a comparison at equal sizes (<see cref="DecodeBenchmark.Compare"/>).</summary>
/// <param name="ModelType">config.json's model_type.</param>
/// <param name="Parameters">Number of model parameters.</param>
/// <param name="Decode">Greedy decoding, one measurement per batch size.</param>
/// <param name="PrefillTokens">Positions of the prefill.</param>
/// <param name="PrefillTokensPerSecond">Prefill positions per second, head at the last position (best of the repeats).</param>
public sealed record ArchitectureThroughput(
    string ModelType,
    long Parameters,
    IReadOnlyList<BatchThroughput> Decode,
    int PrefillTokens,
    double PrefillTokensPerSecond
);

/// <summary>Runs the decode benchmark on a randomly initialised model of a given spec.</summary>
public static class DecodeBenchmark
{
    /// <summary>Measures greedy decoding for each batch size and one prefill; best of <paramref name="repeats"/>.</summary>
    public static DecodeBenchmarkResult Run(
        ModelSpec spec,
        IReadOnlyList<int> batches,
        int promptTokens,
        int newTokens,
        int prefillTokens,
        int repeats,
        long seed,
        int threads,
        Action<string>? progress = null
    )
    {
        using var threadScope = LibTorchThreads.Use(threads);
        manual_seed(seed);
        using var model = CausalLm.Create(spec);
        model.InitializeRandom(seed);
        model.eval();
        long parameters = model.parameters().Sum(p => p.numel());
        // Streamed per step: every weight except an untied embedding table, of which only the batch's rows are gathered.
        long streamed = parameters - (spec.TieWordEmbeddings ? 0 : (long)spec.VocabSize * spec.HiddenSize);

        progress?.Invoke("machine floors");
        var machine = MachineBaselines.Measure();
        // The plain C# stream of the same weights, timed between the batch-1 repeats so that the machine's drift falls on
        // both alike (their ratio is the figure of interest).
        var simd = new SimdMatVecBaseline(StreamedMatrices(model), threads, seed: 1);
        var simdSeconds = double.PositiveInfinity;
        // The step's own weights read in place, timed between the same repeats.
        var ownWeights = WeightProduct.KernelAllowed ? new WeightReadBaseline(StreamedTensors(model), threads) : null;
        var readSeconds = double.PositiveInfinity;
        var decode = new List<DecodeMeasurement>();
        foreach (var batch in batches)
        {
            progress?.Invoke($"decode batch {batch}");
            var libTorch = LibTorchProducts(() =>
                MachineBaselines.Best(repeats, () => Greedy(model, batch, promptTokens, newTokens, seed, Untimed))
            );
            var seconds = MachineBaselines.Best(
                repeats,
                () =>
                {
                    if (batch != 1)
                        return;
                    simdSeconds = Math.Min(simdSeconds, simd.SecondsPerToken(newTokens)); // outside the clock below
                    if (ownWeights is not null)
                        readSeconds = Math.Min(readSeconds, ownWeights.BestSecondsPerPass(newTokens));
                },
                () => Greedy(model, batch, promptTokens, newTokens, seed, Untimed)
            );
            decode.Add(
                new DecodeMeasurement(
                    batch,
                    newTokens,
                    batch * newTokens / seconds,
                    seconds / newTokens * 1e3,
                    batch * newTokens / libTorch
                )
            );
        }
        progress?.Invoke("prefill");
        var prefillSeconds = MachineBaselines.Best(repeats, () => Prefill(model, prefillTokens, seed, lastPositionOnly: true));
        var allPositionsSeconds = MachineBaselines.Best(repeats, () => Prefill(model, prefillTokens, seed, lastPositionOnly: false));
        var libTorchPrefillSeconds = LibTorchProducts(() =>
            MachineBaselines.Best(repeats, () => Prefill(model, prefillTokens, seed, lastPositionOnly: true))
        );
        return new DecodeBenchmarkResult(
            parameters,
            streamed * sizeof(float),
            2.0 * streamed,
            decode,
            new PrefillMeasurement(
                prefillTokens,
                prefillTokens / prefillSeconds,
                prefillSeconds * 1e3,
                prefillTokens / allPositionsSeconds,
                prefillTokens / libTorchPrefillSeconds
            ),
            machine,
            PeakResidentMiB(),
            double.IsFinite(simdSeconds) ? 1 / simdSeconds : null,
            ownWeights is not null && double.IsFinite(readSeconds) ? ownWeights.Bytes / readSeconds / 1e9 : null
        );
    }

    /// <summary>The decode and prefill throughput of <see cref="Run"/> for a random model of each of <paramref name="specs"/>,
    /// without the machine floors and the plain x·W baseline: the same greedy loop and prefill, each model warmed up once,
    /// then timed in <paramref name="repeats"/> rounds that visit every model in turn, best of the rounds. Interleaving
    /// the models spreads the machine's drift (±30% from minute to minute on a shared virtual machine) over all of them
    /// alike, so that their ratios compare; timing one model after the other would fold the drift into the ratios.</summary>
    /// <returns>One entry per spec, in order.</returns>
    public static IReadOnlyList<ArchitectureThroughput> Compare(
        IReadOnlyList<ModelSpec> specs,
        IReadOnlyList<int> batches,
        int promptTokens,
        int newTokens,
        int prefillTokens,
        int repeats,
        long seed,
        int threads,
        Action<string>? progress = null
    )
    {
        using var threadScope = LibTorchThreads.Use(threads);
        var models = new List<CausalLm>();
        try
        {
            foreach (var spec in specs)
            {
                manual_seed(seed);
                var model = CausalLm.Create(spec);
                models.Add(model);
                model.InitializeRandom(seed);
                model.eval();
            }
            // Seconds of each model's decode per batch (then its prefill), best so far.
            var best = models.Select(_ => Enumerable.Repeat(double.PositiveInfinity, batches.Count + 1).ToArray()).ToArray();
            for (int round = 0; round <= repeats; round++) // round 0 warms up and is not kept
            {
                progress?.Invoke(round == 0 ? "warm-up of every architecture" : $"round {round} of {repeats}");
                for (int m = 0; m < models.Count; m++)
                {
                    var model = models[m];
                    for (int b = 0; b < batches.Count; b++)
                    {
                        var clock = Stopwatch.StartNew();
                        Greedy(model, batches[b], promptTokens, newTokens, seed, Untimed);
                        if (round > 0)
                            best[m][b] = Math.Min(best[m][b], clock.Elapsed.TotalSeconds);
                    }
                    var prefillClock = Stopwatch.StartNew();
                    Prefill(model, prefillTokens, seed, lastPositionOnly: true);
                    if (round > 0)
                        best[m][batches.Count] = Math.Min(best[m][batches.Count], prefillClock.Elapsed.TotalSeconds);
                }
            }
            return
            [
                .. models.Select(
                    (model, m) =>
                        new ArchitectureThroughput(
                            model.Spec.ModelType,
                            model.parameters().Sum(p => p.numel()),
                            [
                                .. batches.Select(
                                    (batch, b) => new BatchThroughput(batch, batch * newTokens / best[m][b], best[m][b] / newTokens * 1e3)
                                ),
                            ],
                            prefillTokens,
                            prefillTokens / best[m][batches.Count]
                        )
                ),
            ];
        }
        finally
        {
            foreach (var model in models)
                model.Dispose();
        }
    }

    /// <summary>(outputs, inputs) of every weight matrix a decoding step streams, in the model's order: every 2-D
    /// parameter but the token and position tables, whose rows are gathered, not streamed (a tied model's table is the
    /// head's W_U, which is streamed).</summary>
    static List<(int Rows, int Columns)> StreamedMatrices(CausalLm model) =>
        [
            .. model
                .named_parameters()
                .Where(p => p.parameter.dim() == 2 && p.name != ParameterNames.EmbedW && p.name != ParameterNames.PosEmbedW)
                .Select(p => ((int)p.parameter.shape[1], (int)p.parameter.shape[0])), // stored [in, out]
        ];

    /// <summary>Every parameter a decoding step streams (all but the token and position tables; a tied model's table is
    /// the head's W_U), in the model's order.</summary>
    static IEnumerable<Tensor> StreamedTensors(CausalLm model) =>
        model
            .named_parameters()
            .Where(p => p.name != ParameterNames.EmbedW && p.name != ParameterNames.PosEmbedW)
            .Select(p => (Tensor)p.parameter);

    /// <summary>Runs <paramref name="measure"/> with every product in libtorch (the path before the C# kernel).</summary>
    static double LibTorchProducts(Func<double> measure)
    {
        using var libTorch = WeightProduct.LibTorchOnly();
        return measure();
    }

    /// <summary>The greedy token of every row: [batch, vocab] logits to [batch, 1] ids (the C# row scan where it applies,
    /// else libtorch's argmax; the same ids).</summary>
    /// <param name="logits">[batch, vocab]</param>
    /// <returns>[batch, 1] int64</returns>
    private static Tensor Choose(Tensor logits) => Kernels.RowArgmax.TryRows(logits)?.unsqueeze(1) ?? logits.argmax(-1, keepdim: true);

    /// <summary>Greedy decoding of <paramref name="batch"/> rows: prefill a random prompt, then one token per step (the work
    /// of a session's loop with the tokens kept on the device until the end). <paramref name="timeSteps"/> runs the decoding
    /// steps and returns their seconds (e.g. synchronised on a GPU); the prefill is outside it. Shared with GpuBenchmark.</summary>
    /// <returns>What <paramref name="timeSteps"/> returned.</returns>
    internal static double Greedy(
        CausalLm model,
        int batch,
        int promptTokens,
        int newTokens,
        long seed,
        Func<Action, double> timeSteps,
        CancellationToken cancellation = default
    )
    {
        using var noGrad = no_grad();
        using var cache = model.NewState(batch, promptTokens + newTokens);
        Tensor next; // [batch, 1]
        using (var scope = NewDisposeScope())
        {
            using var generator = new TorchSharp.torch.Generator((ulong)seed);
            var prompt = randint(model.Spec.VocabSize, [batch, promptTokens], generator: generator).to(model.Device); // [batch, prompt]
            // next: [batch, 1]
            next = Choose(model.Forward(prompt, cache, 0, lastPositionOnly: true)[.., -1]).MoveToOuterDisposeScope();
        }
        var seconds = timeSteps(() =>
        {
            for (int t = 0; t < newTokens; t++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var logits = model.Forward(next, cache, promptTokens + t, lastPositionOnly: true); // [batch, 1, vocab]
                var chosen = Choose(logits[.., -1]); // [batch, 1]
                next.Dispose();
                next = chosen.MoveToOuterDisposeScope();
            }
        });
        using (var host = next.cpu())
            _ = host.data<long>().ToArray(); // the tokens reach the CPU, as in a real session
        next.Dispose();
        return seconds;
    }

    /// <summary>Runs <paramref name="work"/> untimed (the caller times the whole call).</summary>
    static double Untimed(Action work)
    {
        work();
        return 0;
    }

    static void Prefill(CausalLm model, int tokens, long seed, bool lastPositionOnly)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        var prompt = randint(model.Spec.VocabSize, [1, tokens], generator: new TorchSharp.torch.Generator((ulong)seed)); // [1, tokens]
        _ = model.Forward(prompt, null, 0, lastPositionOnly)[0, -1].argmax().item<long>();
    }

    /// <summary>VmHWM of this process in MiB (Linux), else the GC's peak working set.</summary>
    static double PeakResidentMiB()
    {
        try
        {
            var line = File.ReadLines("/proc/self/status").FirstOrDefault(l => l.StartsWith("VmHWM:", StringComparison.Ordinal));
            if (line is not null)
                return long.Parse(
                        line.Split(' ', StringSplitOptions.RemoveEmptyEntries)[1],
                        System.Globalization.CultureInfo.InvariantCulture
                    ) / 1024.0;
        }
        catch (IOException) { }
        return Process.GetCurrentProcess().PeakWorkingSet64 / (1024.0 * 1024.0);
    }
}

// The GPU benchmark (issue 9): decode tokens/s of B greedy trajectories through the KV cache, prefill tokens/s, the cost of
// one tiny op on the device, and the cost of a k-direction Lyapunov-spectrum step against a plain decoding step, all on one
// model on any device and dtype, every timed region bracketed by DeviceClock's synchronisation (CUDA is asynchronous).
// Decode is timed on two paths. The headline path is the internal CausalLm loop DecodeBenchmark uses: one forward of the
// chosen tokens per step, argmax on the device, the tokens reach the host once at the end — the same work as the PyTorch
// baseline's manual past_key_values loop (scripts/gpu/hf_eager_bench.py), so the two are comparable. The second is the
// public GenerationSession every experiment uses: tokens built on the host each step and the chosen ones copied back (one
// host round trip per step), which shows what an experiment pays on top.
// References: Williams, Waterman, Patterson (2009), "Roofline"; Benettin et al. (1980) for the spectrum step.
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Bench;

/// <summary>What <see cref="GpuBenchmark.Run"/> measures.</summary>
public sealed record GpuBenchSettings
{
    /// <summary>Batch sizes of the decode measurements (1 = single stream).</summary>
    public IReadOnlyList<int> Batches { get; init; } = [1, 64];

    /// <summary>Random prompt tokens read (untimed) before the timed decoding steps.</summary>
    public int PromptTokens { get; init; } = 128;

    /// <summary>Timed decoding steps (new tokens per trajectory).</summary>
    public int NewTokens { get; init; } = 256;

    /// <summary>Tokens of the prefill measurement.</summary>
    public int PrefillTokens { get; init; } = 2048;

    /// <summary>Timed runs per figure after one warm-up run; the best counts.</summary>
    public int Repeats { get; init; } = 3;

    /// <summary>libtorch intra-op CPU threads.</summary>
    public int Threads { get; init; } = 2;

    /// <summary>Seed of the prompts and of the spectrum's directions.</summary>
    public long Seed { get; init; } = 1;

    /// <summary>Tangent directions k of the spectrum measurement; 0 skips it.</summary>
    public int SpectrumDirections { get; init; } = 16;

    /// <summary>Tokens read before the spectrum's timed steps.</summary>
    public int SpectrumPromptTokens { get; init; } = 96;

    /// <summary>Timed spectrum steps per run.</summary>
    public int SpectrumSteps { get; init; } = 48;
}

/// <summary>Decode throughput at one batch size on both paths.</summary>
/// <param name="Batch">Trajectories decoded together.</param>
/// <param name="TokensPerSecond">Aggregate tokens/s of the internal loop (tokens stay on the device).</param>
/// <param name="MillisecondsPerStep">One step of the internal loop for the whole batch.</param>
/// <param name="SessionTokensPerSecond">Aggregate tokens/s through GenerationSession.Step.</param>
/// <param name="SessionMillisecondsPerStep">One GenerationSession.Step for the whole batch.</param>
public sealed record GpuDecodeMeasurement(
    int Batch,
    double TokensPerSecond,
    double MillisecondsPerStep,
    double SessionTokensPerSecond,
    double SessionMillisecondsPerStep
);

/// <summary>Everything one GPU benchmark run measured.</summary>
/// <param name="Device">Where the model ran, e.g. <c>cuda:0</c>.</param>
/// <param name="DType">Its dtype name.</param>
/// <param name="Parameters">Model parameters.</param>
/// <param name="StreamedParameters">Parameters a decoding step reads in full (<see cref="GpuBenchMath.StreamedParameters"/>).</param>
/// <param name="StreamedBytes">Their bytes in the dtype.</param>
/// <param name="CallMicroseconds">One tiny op on the device (launch / dispatch overhead), µs.</param>
/// <param name="Decode">One measurement per batch size.</param>
/// <param name="PrefillTokens">Tokens of the prefill.</param>
/// <param name="PrefillMilliseconds">Its best time.</param>
/// <param name="Spectrum">The spectrum-step measurement, or null when skipped.</param>
public sealed record GpuBenchmarkResult(
    string Device,
    string DType,
    long Parameters,
    long StreamedParameters,
    long StreamedBytes,
    double CallMicroseconds,
    IReadOnlyList<GpuDecodeMeasurement> Decode,
    int PrefillTokens,
    double PrefillMilliseconds,
    SpectrumBenchmarkResult? Spectrum
)
{
    /// <summary>Prefill tokens per second.</summary>
    public double PrefillTokensPerSecond => PrefillTokens / (PrefillMilliseconds / 1e3);
}

/// <summary>Runs the GPU benchmark on one model.</summary>
public static class GpuBenchmark
{
    /// <summary>Measures decode (both paths, each batch), prefill, the tiny-op cost and the spectrum step.</summary>
    /// <param name="model">The model (no session open on it).</param>
    /// <param name="settings">What to measure.</param>
    /// <param name="progress">Called with a short note before each measurement, or null.</param>
    /// <param name="cancellation">Checked between steps.</param>
    /// <exception cref="ArgumentException">Prompt + new tokens, the prefill or the spectrum text longer than the context.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static GpuBenchmarkResult Run(
        LanguageModel model,
        GpuBenchSettings settings,
        Action<string>? progress = null,
        CancellationToken cancellation = default
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentNullException.ThrowIfNull(settings);
        var s = settings;
        var context = model.Spec.MaxPositionEmbeddings;
        if (s.PromptTokens + s.NewTokens > context)
            throw new ArgumentException(
                $"promptTokens + newTokens = {s.PromptTokens + s.NewTokens} exceeds the context of {context}",
                nameof(settings)
            );
        if (s.PrefillTokens > context)
            throw new ArgumentException($"prefillTokens = {s.PrefillTokens} exceeds the context of {context}", nameof(settings));
        using var threadScope = LibTorchThreads.Use(s.Threads);
        var lm = model.Model;
        var device = lm.Device;
        long parameters = lm.parameters().Sum(p => p.numel());
        long streamed = GpuBenchMath.StreamedParameters(parameters, model.Spec);

        progress?.Invoke("tiny-op cost on the device");
        var call = DeviceClock.CallMicroseconds(device);
        var decode = new List<GpuDecodeMeasurement>();
        foreach (var batch in s.Batches)
        {
            progress?.Invoke($"decode batch {batch}, internal loop");
            var loop = Best(s.Repeats, () => Greedy(lm, batch, s, cancellation));
            progress?.Invoke($"decode batch {batch}, GenerationSession");
            var session = Best(s.Repeats, () => SessionGreedy(model, batch, s, cancellation));
            decode.Add(
                new GpuDecodeMeasurement(
                    batch,
                    batch * s.NewTokens / loop,
                    loop / s.NewTokens * 1e3,
                    batch * s.NewTokens / session,
                    session / s.NewTokens * 1e3
                )
            );
        }
        progress?.Invoke($"prefill {s.PrefillTokens}");
        var prefill = DeviceClock.Best(device, s.Repeats, () => Prefill(lm, s.PrefillTokens, s.Seed));

        SpectrumBenchmarkResult? spectrum = null;
        if (s.SpectrumDirections > 0)
        {
            progress?.Invoke($"spectrum step, k = {s.SpectrumDirections}");
            var random = new Random((int)(s.Seed % int.MaxValue));
            var text = Enumerable
                .Range(0, s.SpectrumPromptTokens + s.SpectrumSteps + 1)
                .Select(_ => random.Next(model.Spec.VocabSize))
                .ToArray();
            if (text.Length > context)
                throw new ArgumentException(
                    $"spectrumPromptTokens + spectrumSteps + 1 = {text.Length} exceeds the context of {context}",
                    nameof(settings)
                );
            spectrum = SpectrumBenchmark.Run(
                model,
                text,
                s.SpectrumPromptTokens,
                s.SpectrumSteps,
                [s.SpectrumDirections],
                s.Repeats,
                s.Threads,
                0,
                1e-3,
                s.Seed,
                progress,
                cancellation
            );
        }
        var elementBytes = GpuBenchMath.ElementBytes(model.DType);
        return new GpuBenchmarkResult(
            model.Device,
            model.DType,
            parameters,
            streamed,
            streamed * elementBytes,
            call,
            decode,
            s.PrefillTokens,
            prefill * 1e3,
            spectrum
        );
    }

    /// <summary>Best of <paramref name="repeats"/> results of <paramref name="run"/> (seconds) after one warm-up run.</summary>
    private static double Best(int repeats, Func<double> run)
    {
        run();
        return DeviceClock.BestOf(Enumerable.Range(0, repeats).Select(_ => run()));
    }

    /// <summary>Seconds of <see cref="GpuBenchSettings.NewTokens"/> greedy steps of the internal loop after an untimed prefill,
    /// synchronised on the device.</summary>
    private static double Greedy(CausalLm lm, int batch, GpuBenchSettings s, CancellationToken cancellation) =>
        DecodeBenchmark.Greedy(lm, batch, s.PromptTokens, s.NewTokens, s.Seed, work => DeviceClock.Time(lm.Device, work), cancellation);

    /// <summary>Seconds of <see cref="GpuBenchSettings.NewTokens"/> greedy GenerationSession.Step calls after an untimed prefill.</summary>
    private static double SessionGreedy(LanguageModel model, int batch, GpuBenchSettings s, CancellationToken cancellation)
    {
        var random = new Random((int)(s.Seed % int.MaxValue));
        var prompts = Enumerable
            .Range(0, batch)
            .Select(_ => Enumerable.Range(0, s.PromptTokens).Select(_ => random.Next(model.Spec.VocabSize)).ToArray())
            .ToArray();
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = s.NewTokens + 1 });
        session.Prefill(prompts);
        return DeviceClock.Time(model.Model.Device, () =>
        {
            for (var t = 0; t < s.NewTokens; t++)
            {
                cancellation.ThrowIfCancellationRequested();
                session.Step();
            }
        });
    }

    /// <summary>One prefill of <paramref name="tokens"/> positions into a fresh cache, head at the last position, as a session runs
    /// it.</summary>
    private static void Prefill(CausalLm lm, int tokens, long seed)
    {
        using var scope = NewDisposeScope();
        using var noGrad = no_grad();
        using var cache = lm.NewState(1, tokens);
        using var generator = new Generator((ulong)seed);
        var prompt = randint(lm.Spec.VocabSize, [1, tokens], generator: generator).to(lm.Device); // [1, tokens]
        _ = lm.Forward(prompt, cache, 0, lastPositionOnly: true)[0, -1].argmax().cpu().item<long>();
    }
}

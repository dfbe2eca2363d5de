// Cost of one k-direction Lyapunov-spectrum step of a language model (TeacherForcedDynamics: Step() then
// Reorthonormalise(), the k tangents riding along as k extra batch rows of one KV cache) against one plain decoding step of a
// single trajectory through the KV cache at the same positions (GenerationSession.Step with teacher forcing), both
// measured in the same run. The spectrum step is split into the batch forward of 1 + k rows (Step: forward, the probes'
// reads of h, the reference entropy) and the re-orthonormalisation (Reorthonormalise: QR of the k observed deviations,
// then the re-combination of every row's deviation in the whole cache, ModelState.MixDeviations); the QR alone is timed on
// a frame of the same shape (k deviations of every observed site: the sites above the perturbed one, each of the model's
// width), so the re-combination is the remainder. A plain decoding step of 1 + k rows (no probes, no
// QR) is timed too: the floor the batch forward can reach. Best of the repeats (the least disturbed by other load).
// References: Benettin et al. (1980), Meccanica 15:9 (tangents + QR); Williams, Waterman, Patterson (2009) on reading
// a timing against what bounds it.
using System.Diagnostics;
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Bench;

/// <summary>One k of the spectrum benchmark: milliseconds per step, each the best of the repeats.</summary>
/// <param name="K">Tangent directions (perturbed rows).</param>
/// <param name="StepMilliseconds">One spectrum step: Step() + Reorthonormalise() (best repeat of their sum).</param>
/// <param name="ForwardMilliseconds">Step() alone: the batch forward of 1 + k rows with the probes and the entropy.</param>
/// <param name="ReorthonormaliseMilliseconds">Reorthonormalise() alone: QR plus the cache re-combination.</param>
/// <param name="QrMilliseconds">The QR (DeviationQr.Triangle) of a frame of k vectors as long as the step's observed
/// deviations (every site above the perturbed one, each of the model's width), timed alone.</param>
/// <param name="BatchDecodeMilliseconds">A plain teacher-forced decoding step of 1 + k rows (GenerationSession): the
/// floor of <paramref name="ForwardMilliseconds"/>.</param>
public sealed record SpectrumStepMeasurement(
    int K,
    double StepMilliseconds,
    double ForwardMilliseconds,
    double ReorthonormaliseMilliseconds,
    double QrMilliseconds,
    double BatchDecodeMilliseconds
)
{
    /// <summary>The re-combination of the cache deviations: <see cref="ReorthonormaliseMilliseconds"/> − <see cref="QrMilliseconds"/>, at
    /// least 0.</summary>
    public double MixMilliseconds => Math.Max(0, ReorthonormaliseMilliseconds - QrMilliseconds);
}

/// <summary>Everything one spectrum benchmark run measured.</summary>
/// <param name="PromptTokens">Tokens read before the first timed step (not timed).</param>
/// <param name="Steps">Timed steps per repeat, at positions PromptTokens … PromptTokens + Steps − 1.</param>
/// <param name="DecodeMilliseconds">One plain decoding step of a single trajectory at the same positions (best repeat).</param>
/// <param name="Spectrum">One measurement per k, in the order asked.</param>
/// <param name="Threads">libtorch intra-op threads during the measurement.</param>
/// <param name="BandwidthGBps">Streaming read bandwidth measured in the same run (MachineBaselines), GB/s; NaN when the
/// model ran on another device than the CPU, and in results saved before it was measured.</param>
/// <param name="WeightBytes">Bytes of the model's parameters (what every step reads at least once); 0 in older results.</param>
public sealed record SpectrumBenchmarkResult(
    int PromptTokens,
    int Steps,
    double DecodeMilliseconds,
    IReadOnlyList<SpectrumStepMeasurement> Spectrum,
    int Threads,
    double BandwidthGBps = double.NaN,
    long WeightBytes = 0
);

/// <summary>Times spectrum steps against plain decoding steps on one model and one fixed text.</summary>
public static class SpectrumBenchmark
{
    /// <summary>Measures the plain decoding step, then a spectrum step for each k; every figure is the best of
    /// <paramref name="repeats"/> timed runs after one shorter warm-up run.</summary>
    /// <param name="model">The model (must not be in use by a session or run).</param>
    /// <param name="tokens">The fixed text; at least <paramref name="promptTokens"/> + <paramref name="steps"/> + 1 tokens.</param>
    /// <param name="promptTokens">Tokens read before the timed steps (the perturbation lands on the last of them).</param>
    /// <param name="steps">Timed steps per run.</param>
    /// <param name="directions">The k values measured.</param>
    /// <param name="repeats">Timed runs per figure (the best counts).</param>
    /// <param name="threads">libtorch intra-op threads.</param>
    /// <param name="layer">Residual site perturbed (<see cref="TeacherForcedOptions.Layer"/>).</param>
    /// <param name="epsilon">Perturbation size (<see cref="TeacherForcedOptions.Epsilon"/>).</param>
    /// <param name="seed">Seed of the starting directions and of the QR test frames.</param>
    /// <param name="progress">Called with a short note before each measurement, or null.</param>
    /// <param name="cancellation">Checked between steps.</param>
    /// <exception cref="ArgumentException">A text too short, or a k outside 1 … model width.</exception>
    /// <exception cref="OperationCanceledException">Cancelled.</exception>
    public static SpectrumBenchmarkResult Run(
        LanguageModel model,
        IReadOnlyList<int> tokens,
        int promptTokens,
        int steps,
        IReadOnlyList<int> directions,
        int repeats,
        int threads,
        int layer,
        double epsilon,
        long seed,
        Action<string>? progress = null,
        CancellationToken cancellation = default
    )
    {
        ArgumentNullException.ThrowIfNull(model);
        ArgumentOutOfRangeException.ThrowIfLessThan(promptTokens, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(steps, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(repeats, 1);
        if (tokens.Count < promptTokens + steps + 1)
            throw new ArgumentException($"the text has {tokens.Count} tokens; {promptTokens} + {steps} + 1 are needed", nameof(tokens));
        var width = model.Spec.HiddenSize;
        if (directions.Any(k => k < 1 || k > width))
            throw new ArgumentException(
                $"every k must be in 1 … {width} (the model width), {directions.First(k => k < 1 || k > width)} is not",
                nameof(directions)
            );
        using var threadScope = LibTorchThreads.Use(threads);
        var text = tokens.Take(promptTokens + steps + 1).ToArray();
        var warmUp = Math.Min(steps, 8);
        // The memory floors read the CPU's streaming bandwidth: measured only when the model runs there.
        double bandwidth = double.NaN;
        if (model.Model.Device.type == TorchSharp.DeviceType.CPU)
        {
            progress?.Invoke("streaming bandwidth");
            bandwidth = MachineBaselines.StreamBandwidth(repeats);
        }
        long weightBytes = model.Model.parameters().Sum(p => p.numel() * p.ElementSize);

        progress?.Invoke("plain decoding step, 1 row");
        // Timed first (after a warm-up of a whole run, so that the JIT has compiled the step's code at full optimisation)
        // and again after every k; the best of both counts. Timed only at the start, this baseline, the divisor of every
        // ratio, once measured 1.05, 7.39 and 3.44 ms in three runs of the same code.
        var decode = Best(repeats, n => Decode(model, text, promptTokens, n, 1, cancellation), steps, steps);

        var measured = new List<SpectrumStepMeasurement>();
        foreach (var k in directions)
        {
            progress?.Invoke($"spectrum step, k = {k}");
            // The perturbation lands early (position PerturbedPosition), as in lyapunov-teacher-forced, so that the timed steps
            // re-combine deviations over nearly the whole cache; the steps up to the prompt's end run untimed.
            var options = new TeacherForcedOptions
            {
                Layer = layer,
                Directions = k,
                Epsilon = epsilon,
                PromptLength = Math.Min(PerturbedPosition + 1, promptTokens),
                Seed = seed,
            };
            Spectrum(model, text, options, warmUp, cancellation);
            var (total, forward, reorthonormalise) = (double.PositiveInfinity, double.PositiveInfinity, double.PositiveInfinity);
            for (var r = 0; r < repeats; r++)
            {
                var (f, q) = Spectrum(model, text, options, steps, cancellation);
                (total, forward, reorthonormalise) = (Math.Min(total, f + q), Math.Min(forward, f), Math.Min(reorthonormalise, q));
            }
            var observedWidth = width * TeacherForcedDynamics.ObservedSites(model.Spec.NumLayers, options).Length;
            var qr = Best(repeats, n => Qr(k, observedWidth, n, seed), warmUp, steps);
            var batchDecode = Best(repeats, n => Decode(model, text, promptTokens, n, 1 + k, cancellation), warmUp, steps);
            measured.Add(
                new SpectrumStepMeasurement(
                    k,
                    Ms(total, steps),
                    Ms(forward, steps),
                    Ms(reorthonormalise, steps),
                    qr * 1e3,
                    batchDecode * 1e3
                )
            );
        }
        progress?.Invoke("plain decoding step, 1 row, again");
        decode = Math.Min(decode, Best(repeats, n => Decode(model, text, promptTokens, n, 1, cancellation), warmUp, steps));
        return new SpectrumBenchmarkResult(promptTokens, steps, decode * 1e3, measured, get_num_threads(), bandwidth, weightBytes);
    }

    private static double Ms(double seconds, int steps) => seconds / steps * 1e3;

    /// <summary>Where the spectrum runs perturb (lyapunov-teacher-forced's default promptLength − 1).</summary>
    public const int PerturbedPosition = 7;

    /// <summary>The best over <paramref name="repeats"/> of <paramref name="run"/>(steps) seconds per step, after one
    /// warm-up run of <paramref name="warmUp"/> steps.</summary>
    private static double Best(int repeats, Func<int, double> run, int warmUp, int steps)
    {
        run(warmUp);
        var best = double.PositiveInfinity;
        for (var r = 0; r < repeats; r++)
            best = Math.Min(best, run(steps) / steps);
        return best;
    }

    /// <summary>Seconds of <paramref name="steps"/> teacher-forced decoding steps of <paramref name="rows"/> copies of the
    /// text after a prefill of the prompt (not timed).</summary>
    private static double Decode(LanguageModel model, int[] text, int promptTokens, int steps, int rows, CancellationToken cancellation)
    {
        using var session = model.StartSession(new GenerationOptions { MaxNewTokens = steps + 1 });
        var prompt = text[..promptTokens];
        session.Prefill([.. Enumerable.Repeat(prompt, rows)], Force(text[promptTokens], rows));
        var clock = new Stopwatch();
        var device = model.Model.Device;
        DeviceClock.Synchronize(device);
        for (var s = 1; s <= steps; s++)
        {
            cancellation.ThrowIfCancellationRequested();
            var force = Force(text[promptTokens + s], rows);
            clock.Start();
            session.Step(force); // reads position promptTokens + s − 1; a forced step copies nothing to the host, so on CUDA it
            DeviceClock.Synchronize(device); // returns before its kernels ran: wait for them, as the spectrum step's timing does
            clock.Stop();
        }
        return clock.Elapsed.TotalSeconds;
    }

    private static int[] Force(int token, int rows) => [.. Enumerable.Repeat(token, rows)];

    /// <summary>Seconds spent in Step() and in Reorthonormalise() over <paramref name="steps"/> spectrum steps after
    /// the start (prefill, perturbation and the first, uncounted re-orthonormalisation: not timed).</summary>
    private static (double Forward, double Reorthonormalise) Spectrum(
        LanguageModel model,
        int[] text,
        TeacherForcedOptions options,
        int steps,
        CancellationToken cancellation
    )
    {
        using var dynamics = TeacherForcedDynamics.Start(model, text, options);
        while (dynamics.StepsLeft > steps)
        {
            dynamics.Step();
            dynamics.Reorthonormalise();
        }
        var (forward, reorthonormalise) = (new Stopwatch(), new Stopwatch());
        var device = model.Model.Device; // on CUDA each timed part ends with a synchronize (kernels run asynchronously)
        DeviceClock.Synchronize(device);
        for (var s = 0; s < steps; s++)
        {
            cancellation.ThrowIfCancellationRequested();
            forward.Start();
            dynamics.Step();
            DeviceClock.Synchronize(device);
            forward.Stop();
            reorthonormalise.Start();
            dynamics.Reorthonormalise();
            DeviceClock.Synchronize(device);
            reorthonormalise.Stop();
        }
        return (forward.Elapsed.TotalSeconds, reorthonormalise.Elapsed.TotalSeconds);
    }

    /// <summary>Seconds of <paramref name="steps"/> QR factorisations of random k-vector frames of width <paramref
    /// name="width"/>.</summary>
    private static double Qr(int k, int width, int steps, long seed)
    {
        var random = new Random((int)(seed % int.MaxValue));
        var frames = Enumerable
            .Range(0, Math.Min(steps, 4))
            .Select(_ =>
                Enumerable.Range(0, k).Select(_ => Enumerable.Range(0, width).Select(_ => random.NextDouble() - 0.5).ToArray()).ToArray()
            )
            .ToArray();
        var clock = Stopwatch.StartNew();
        for (var s = 0; s < steps; s++)
            _ = DeviationQr.Triangle(frames[s % frames.Length]);
        return clock.Elapsed.TotalSeconds;
    }
}

// Trains a tuned lens (Belrose et al. 2023): the model is frozen; each step reads a batch of token windows once
// (ResidualCapture), then every site's translator moves by SGD with Nesterov momentum (0.9) along the gradient of the
// mean over positions of KL(final ‖ Head(T_s(h_s))), with the learning rate decaying linearly to 0, as in the paper. The
// sites' losses are independent (h_s is detached), so each site is back-propagated on its own, keeping one site's graph
// in memory at a time. Training starts at the logit lens (A_s = 0, b_s = 0); the last site's lens is then already exact,
// its gradient zero to rounding (the loss is taken in float64), and its translator stays the identity; started away from
// it, training brings it back to the model's own distribution (both are tests). Plain SGD and not Adam: Adam normalises
// each step to about its learning rate whatever the gradient's size, so at an exact minimum it turns rounding noise into
// real steps, and the last translator wandered off identity (‖A_L‖_F/√d = 0.007 after 250 steps, measured). Batches are
// drawn by a seeded SplitMix64, so a run is repeatable. Departures from the paper, both measured on brown-small (see
// docs/lens.md): a learning rate of 0.1 (1.0 blew the translators up), and each site's gradient clipped to norm 1.
// Reference: Belrose et al. (2023), arXiv:2303.08112, §3 and App. C (SGD, Nesterov momentum 0.9, learning rate 1.0
// decayed linearly, 250 steps of 2^18 tokens; here 250 steps of 1,024 tokens).
using TrajectoryLab.Core.Randomness;
using TrajectoryLab.Torch.Generation;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Lens;

/// <summary>How a tuned lens is trained.</summary>
/// <param name="Steps">Optimiser steps.</param>
/// <param name="BatchWindows">Windows per step.</param>
/// <param name="LearningRate">SGD's learning rate at step 0 (Nesterov momentum 0.9; decayed linearly to 0).</param>
/// <param name="Seed">Seed of the batch draws.</param>
public sealed record TunedLensTraining(int Steps = 250, int BatchWindows = 4, double LearningRate = 0.1, long Seed = 0);

/// <summary>Fits the translators of a <see cref="TunedLens"/> to a frozen model.</summary>
public static class TunedLensTrainer
{
    /// <summary>Largest gradient norm of one site's translator (A_s and b_s together) in one step.</summary>
    public const double MaxGradientNorm = 1.0;

    /// <summary>Trains <paramref name="lens"/> in place on <paramref name="windows"/> (token ids, position 0 first, all the
    /// same length); returns the curve, [step][site] mean KL(final ‖ lens) in nats of the step's batch before its update.</summary>
    /// <param name="model">The frozen model (float32 on the CPU or a device; not in use by a session).</param>
    /// <param name="lens">The lens to train (from <see cref="TunedLens.Identity"/> or a saved one).</param>
    /// <param name="windows">Training windows.</param>
    /// <param name="o">Settings.</param>
    /// <param name="cancellation">Stops between steps.</param>
    /// <param name="onStep">Called after each step with the step number (progress).</param>
    /// <exception cref="NonFiniteValueException">A step's loss is not finite (names the step and the site).</exception>
    public static double[][] Train(
        LanguageModel model,
        TunedLens lens,
        IReadOnlyList<int[]> windows,
        TunedLensTraining o,
        CancellationToken cancellation = default,
        Action<int>? onStep = null
    )
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(o.Steps, 0);
        ArgumentOutOfRangeException.ThrowIfLessThan(o.BatchWindows, 1);
        if (windows.Count == 0)
            throw new ArgumentException("no training windows", nameof(windows));
        var length = windows[0].Length;
        if (length < 2 || windows.Any(w => w.Length != length))
            throw new ArgumentException("every training window must have the same length of at least 2 tokens", nameof(windows));
        var lm = model.Model;
        var sites = lm.Spec.NumLayers + 1;
        var frozen = lm.parameters().Where(p => p.requires_grad).ToList();
        foreach (var p in frozen)
            p.requires_grad_(false);
        var parameters = lens.Parameters().ToList();
        foreach (var p in parameters)
            p.requires_grad_(true);
        using var optimizer = optim.SGD(parameters, o.LearningRate, momentum: 0.9, nesterov: true);
        var rng = new SplitMix64((ulong)o.Seed);
        var curve = new double[o.Steps][];
        try
        {
            for (var step = 0; step < o.Steps; step++)
            {
                cancellation.ThrowIfCancellationRequested();
                using var scope = NewDisposeScope();
                var batch = Enumerable.Range(0, o.BatchWindows).Select(_ => windows[rng.NextIndex(windows.Count)]).ToArray();
                var flat = batch.SelectMany(w => w.Select(t => (long)t)).ToArray();
                var ids = tensor(flat, [batch.Length, length], ScalarType.Int64, lm.Device); // [batch, pos]
                // The target distribution goes through libtorch's arithmetic, as the lens path (recording autograd) does:
                // the inference kernels round differently, and the last site's identity translator would then be pulled
                // off identity by a gradient made of rounding alone.
                ResidualPass pass;
                using (Models.WeightProduct.LibTorchOnly())
                    pass = ResidualCapture.Run(model, ids);
                var logFinal = pass.Logits.to_type(ScalarType.Float64).log_softmax(-1); // [batch, pos, d_vocab]
                var pFinal = logFinal.exp(); // [batch, pos, d_vocab]
                optimizer.zero_grad();
                curve[step] = new double[sites];
                for (var s = 0; s < sites; s++)
                {
                    using var siteScope = NewDisposeScope();
                    var h = pass.Residuals[s].to_type(ScalarType.Float32); // [batch, pos, d_model]
                    var logLens = lm.Head(lens.Translate(s, h).to_type(pass.Residuals[s].dtype))
                        .to_type(ScalarType.Float64)
                        .log_softmax(-1);
                    var kl = pFinal.mul(logFinal.sub(logLens)).sum(-1).mean(); // scalar: mean over batch and positions
                    var value = kl.item<double>();
                    if (!double.IsFinite(value))
                        throw new NonFiniteValueException("tuned-lens loss", step, 0, 0, ResidualSite(s, sites));
                    curve[step][s] = value;
                    kl.backward();
                    // Site 0 starts ~10 nats away (the logit lens of the embeddings predicts the current token), and its
                    // gradients would make one learning rate too large there or too small elsewhere: clip each site's.
                    nn.utils.clip_grad_norm_(parameters.Skip(2 * s).Take(2), MaxGradientNorm);
                }
                foreach (var group in optimizer.ParamGroups)
                    group.LearningRate = o.LearningRate * (1 - (double)step / o.Steps); // linear decay to 0
                optimizer.step();
                onStep?.Invoke(step + 1);
            }
        }
        finally
        {
            foreach (var p in parameters)
                p.requires_grad_(false);
            foreach (var p in frozen)
                p.requires_grad_(true);
        }
        return curve;
    }

    private static string ResidualSite(int s, int sites) => Dynamics.ResidualSite.HookName(s, sites - 1);
}

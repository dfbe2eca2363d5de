// Linear warm-up then cosine decay to a floor (Loshchilov & Hutter 2017, SGDR; the schedule of GPT-2/3 and nanoGPT).
namespace TrajectoryLab.Torch.Training;

/// <summary>The learning rate of each optimizer step.</summary>
public static class LearningRateSchedule
{
    /// <summary>The learning rate used for step <paramref name="step"/> (1-based) of <paramref name="totalSteps"/>.</summary>
    /// <remarks>lr = peak · s / W for s ≤ W; after it lr = floor + ½ (peak − floor)(1 + cos(π (s − W) / (S − W))),
    /// so the last step S runs at the floor.</remarks>
    public static double At(int step, int totalSteps, OptimizerSettings o)
    {
        ArgumentNullException.ThrowIfNull(o);
        if (step <= o.WarmupSteps)
            return o.LearningRate * step / o.WarmupSteps;
        var progress = Math.Min(1.0, (double)(step - o.WarmupSteps) / Math.Max(1, totalSteps - o.WarmupSteps));
        return o.MinLearningRate + 0.5 * (o.LearningRate - o.MinLearningRate) * (1 + Math.Cos(Math.PI * progress));
    }
}

// Decorators that let a Core algorithm's inner loop report progress and stop on Ctrl-C, without the algorithm knowing.
using TrajectoryLab.Core.Dynamics;

namespace TrajectoryLab.Experiments;

/// <summary>Wraps the Lyapunov capabilities so that every step advances a progress line and honours cancellation.</summary>
public static class Observed
{
    /// <summary><paramref name="inner"/>, ticking <paramref name="progress"/> and throwing <see cref="OperationCanceledException"/> once
    /// cancelled.</summary>
    public static ITangentDynamics Tangents(ITangentDynamics inner, ProgressReporter progress, CancellationToken cancellation) =>
        new ObservedTangents(inner, progress, cancellation);

    /// <summary><paramref name="inner"/>, ticking <paramref name="progress"/> and throwing <see cref="OperationCanceledException"/> once
    /// cancelled.</summary>
    public static IPerturbedPair Pair(IPerturbedPair inner, ProgressReporter progress, CancellationToken cancellation) =>
        new ObservedPair(inner, progress, cancellation);

    sealed class ObservedTangents(ITangentDynamics inner, ProgressReporter progress, CancellationToken cancellation) : ITangentDynamics
    {
        public int K => inner.K;
        public double TimeStep => inner.TimeStep;

        public double[] Reorthonormalise() => inner.Reorthonormalise();

        public void Step()
        {
            cancellation.ThrowIfCancellationRequested();
            inner.Step();
            progress.Advance();
        }
    }

    sealed class ObservedPair(IPerturbedPair inner, ProgressReporter progress, CancellationToken cancellation) : IPerturbedPair
    {
        public double TimeStep => inner.TimeStep;

        public double Distance() => inner.Distance();

        public void Rescale(double factor) => inner.Rescale(factor);

        public void Step()
        {
            cancellation.ThrowIfCancellationRequested();
            inner.Step();
            progress.Advance();
        }
    }
}

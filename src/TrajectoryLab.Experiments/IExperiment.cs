// An experiment kind: a name, an options type bound and validated before any work, a measurement that returns a typed
// result, and a report that renders a result into tables, figures, prose and headline numbers. The result is saved
// (result.json), so `trajectorylab report <run folder>` renders it again without measuring.
// Adding an experiment = options + measurement + report in one folder, a JSON file in experiments/, one registration line.
namespace TrajectoryLab.Experiments;

/// <summary>A kind of experiment that the host can run from a configuration file.</summary>
public interface IExperiment
{
    /// <summary>The value of the "kind" key that selects this experiment.</summary>
    string Kind { get; }

    /// <summary>The options type, derived from <see cref="ExperimentOptions"/>, that the configuration binds onto.</summary>
    Type OptionsType { get; }

    /// <summary>The type of the measurement's result.</summary>
    Type ResultType { get; }

    /// <summary>Drives the model or system and returns the typed result; writes no table, figure or prose.</summary>
    /// <remarks>Runs synchronously on the calling thread (tensor code needs one thread per dispose scope); it must check
    /// <see cref="IMeasureContext.Cancellation"/> between steps.</remarks>
    object Measure(ExperimentOptions options, IMeasureContext run);

    /// <summary>Renders <paramref name="result"/> (just measured, or read back from result.json) into the run folder.</summary>
    void Report(ExperimentOptions options, object result, RunContext run);
}

/// <summary>Typed base class: binds <typeparamref name="TOptions"/> and <typeparamref name="TResult"/>.</summary>
public abstract class Experiment<TOptions, TResult> : IExperiment
    where TOptions : ExperimentOptions, new()
    where TResult : class
{
    /// <inheritdoc/>
    public abstract string Kind { get; }

    /// <inheritdoc/>
    public Type OptionsType => typeof(TOptions);

    /// <inheritdoc/>
    public Type ResultType => typeof(TResult);

    /// <inheritdoc/>
    public object Measure(ExperimentOptions options, IMeasureContext run) => Measure((TOptions)options, run);

    /// <inheritdoc/>
    public void Report(ExperimentOptions options, object result, RunContext run) => Report((TOptions)options, (TResult)result, run);

    /// <summary>Measures with the typed options.</summary>
    public abstract TResult Measure(TOptions options, IMeasureContext run);

    /// <summary>Renders the typed result.</summary>
    public abstract void Report(TOptions options, TResult result, RunContext run);
}

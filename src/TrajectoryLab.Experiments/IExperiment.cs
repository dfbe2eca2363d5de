// An experiment kind: a name, an options type bound and validated before any work, and a run into a run folder.
// Adding an experiment = one class, one options class, one JSON file in experiments/, one line in ExperimentRegistry.
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Experiments;

/// <summary>A kind of experiment that the host can run from a configuration file.</summary>
public interface IExperiment
{
    /// <summary>The value of the "kind" key that selects this experiment.</summary>
    string Kind { get; }

    /// <summary>The options type, derived from <see cref="ExperimentOptions"/>, that the configuration binds onto.</summary>
    Type OptionsType { get; }

    /// <summary>Runs the experiment, writing tables, figures, the report and headline numbers through <paramref name="run"/>.</summary>
    /// <remarks>Runs synchronously on the calling thread (tensor code needs one thread per dispose scope);
    /// it must check <see cref="RunContext.Cancellation"/> between steps.</remarks>
    void Run(ExperimentOptions options, RunContext run);
}

/// <summary>Typed base class: binds <typeparamref name="TOptions"/> and hands it to <see cref="Run(TOptions, RunContext)"/>.</summary>
public abstract class Experiment<TOptions> : IExperiment where TOptions : ExperimentOptions, new()
{
    /// <inheritdoc/>
    public abstract string Kind { get; }

    /// <inheritdoc/>
    public Type OptionsType => typeof(TOptions);

    /// <inheritdoc/>
    public void Run(ExperimentOptions options, RunContext run) => Run((TOptions)options, run);

    /// <summary>Runs the experiment with its typed options.</summary>
    protected abstract void Run(TOptions options, RunContext run);
}

// The keys every experiment file has; each experiment kind derives its own options from this.
using System.ComponentModel.DataAnnotations;

namespace TrajectoryLab.Experiments;

/// <summary>Options shared by every experiment: which kind runs, a one-line description, and the seed.</summary>
public class ExperimentOptions
{
    /// <summary>The experiment kind (a registered <see cref="IExperiment.Kind"/>), e.g. "lyapunov-spectrum".</summary>
    [Required]
    public string Kind { get; set; } = "";

    /// <summary>One line shown by <c>trajectorylab list</c> and at the top of the report.</summary>
    public string Description { get; set; } = "";

    /// <summary>Seed of every random choice of the run; the same seed on CPU gives identical numbers.</summary>
    [Range(0, int.MaxValue)]
    public int Seed { get; set; } = 42;
}

// The experiment kinds the host knows, by their "kind" key.
namespace TrajectoryLab.Cli.Runs;

/// <summary>Looks up registered <see cref="IExperiment"/>s by kind.</summary>
public sealed class ExperimentRegistry(IEnumerable<IExperiment> experiments)
{
    readonly Dictionary<string, IExperiment> _byKind = experiments.ToDictionary(e => e.Kind, StringComparer.OrdinalIgnoreCase);

    /// <summary>All registered kinds, sorted.</summary>
    public IEnumerable<string> Kinds => _byKind.Keys.Order(StringComparer.Ordinal);

    /// <summary>The experiment of <paramref name="kind"/>, or null.</summary>
    public IExperiment? Find(string kind) => _byKind.GetValueOrDefault(kind);
}

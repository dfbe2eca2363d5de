// Checks an experiment's options against the machine (files, models) before any run folder or model exists.
using TrajectoryLab.Experiments;

namespace TrajectoryLab.Experiments;

/// <summary>Options that refer to things outside the file (a model folder, a corpus) and check them up front.</summary>
public interface IPreflight
{
    /// <summary>The key at fault and the problem, or null when everything the options refer to is there.</summary>
    (string Key, string Problem)? Check(ProjectPaths paths);
}

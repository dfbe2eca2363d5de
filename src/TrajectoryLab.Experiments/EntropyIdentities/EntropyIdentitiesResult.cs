// What entropy-identities measured: the worst residual of every identity over the random rows and temperatures, and
// the H(T) curve of one row with its analytic and finite-difference derivatives (EntropyIdentityCheck).
using TrajectoryLab.Core.Metrics;

namespace TrajectoryLab.Experiments.EntropyIdentities;

/// <summary>The identities' residuals and the temperature curve.</summary>
/// <param name="Identities">One per identity, in the order checked.</param>
/// <param name="Curve">[tCount] H(T), dH/dT analytic and by finite difference, at log-spaced temperatures.</param>
public sealed record EntropyIdentitiesResult(IReadOnlyList<IdentityResidual> Identities, IReadOnlyList<TemperaturePoint> Curve);

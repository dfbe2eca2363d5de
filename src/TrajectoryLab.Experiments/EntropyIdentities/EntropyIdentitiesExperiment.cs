// entropy-identities: checks the entropy identities of docs/science.md on random logits, and measures H(T) with its
// temperature derivative, analytic Var_p(z)/T³ against a central finite difference; EntropyIdentitiesReport shows the
// math hold.
using TrajectoryLab.Core.Metrics;

namespace TrajectoryLab.Experiments.EntropyIdentities;

/// <summary>Runs <see cref="EntropyIdentityCheck"/> at log-spaced temperatures.</summary>
public sealed class EntropyIdentitiesExperiment : Experiment<EntropyIdentitiesOptions, EntropyIdentitiesResult>
{
    /// <inheritdoc/>
    public override string Kind => "entropy-identities";

    /// <inheritdoc/>
    public override EntropyIdentitiesResult Measure(EntropyIdentitiesOptions o, IMeasureContext run)
    {
        var temperatures = Enumerable.Range(0, o.TCount).Select(i => o.TMin * Math.Pow(o.TMax / o.TMin, i / (o.TCount - 1.0))).ToArray();
        var check = run.Phase("identities", () => EntropyIdentityCheck.Run(o.Seed, o.Vocabulary, o.Rows, temperatures, o.LogitScale));
        return new EntropyIdentitiesResult(check.Identities, check.Curve);
    }

    /// <inheritdoc/>
    public override void Report(EntropyIdentitiesOptions o, EntropyIdentitiesResult result, RunContext run) =>
        EntropyIdentitiesReport.Render(o, result, run);
}

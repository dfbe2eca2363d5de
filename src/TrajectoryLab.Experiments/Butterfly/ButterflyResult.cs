// What butterfly measured: for every model × temperature × prompt, the free-running reference (its tokens, how they read,
// its next-token entropy and ||h|| at the observed site) and every perturbed copy (its distance from the reference and its
// tokens); and for every model × perturbed layer of the layer sweep, the same raw runs. Divergence steps, edit distances,
// curves, the finite-size exponent and the correlations are read off these numbers when the report is rendered.
// References: Lorenz (1963), J. Atmos. Sci. 20:130; Aurell et al. (1997), J. Phys. A 30:1 (FSLE).
namespace TrajectoryLab.Experiments.Butterfly;

/// <summary>The free-running runs of every model, temperature and prompt, and the layer sweep.</summary>
/// <param name="Model">The trained model (the random-init twin has its architecture).</param>
/// <param name="Labels">The models measured, in order: "trained", then (if asked) "random init".</param>
/// <param name="Prompts">How many prompts were read.</param>
/// <param name="Runs">One per model × temperature × prompt, in that nesting order.</param>
/// <param name="LayerSweep">One per model × swept layer × prompt, in that nesting order; empty when the sweep was skipped.</param>
public sealed record ButterflyResult(
    ModelFacts Model,
    string[] Labels,
    int Prompts,
    IReadOnlyList<FreeRun> Runs,
    IReadOnlyList<LayerSweepRun> LayerSweep
);

/// <summary>One free-running reference and its perturbed copies.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Temperature">Decoding temperature (0 = greedy).</param>
/// <param name="Prompt">Prompt index.</param>
/// <param name="ReferenceTokens">[steps] the reference's generated token ids.</param>
/// <param name="ReferenceTexts">[steps] how each of them reads.</param>
/// <param name="ReferenceEntropy">[steps] entropy (nats) of the reference's next-token distribution that chose each token.</param>
/// <param name="ReferenceNorm">[steps + 1] ||h_t|| of the reference at the observed site, aligned with
/// <see cref="CopyRun.Distance"/>.</param>
/// <param name="Copies">The perturbed copies, ε-major.</param>
public sealed record FreeRun(
    string Model,
    double Temperature,
    int Prompt,
    int[] ReferenceTokens,
    string[] ReferenceTexts,
    double[] ReferenceEntropy,
    double[] ReferenceNorm,
    IReadOnlyList<CopyRun> Copies
);

/// <summary>One perturbed copy as measured.</summary>
/// <param name="Epsilon">Relative perturbation size ε.</param>
/// <param name="Copy">Direction index for that ε.</param>
/// <param name="Distance">[steps + 1] d_t = ||h'_t − h_t|| at the observed site (t = 0 right after the perturbation);
/// NaN/∞ kept as measured.</param>
/// <param name="Tokens">[steps] the copy's generated token ids.</param>
/// <param name="BreakdownStep">The step from which the copy's values are non-finite (its perturbation overflowed), or
/// null.</param>
public sealed record CopyRun(double Epsilon, int Copy, double[] Distance, int[] Tokens, int? BreakdownStep);

/// <summary>One run of the layer sweep: the perturbation at h after <paramref name="Layer"/> blocks.</summary>
/// <param name="Model">"trained" or "random init".</param>
/// <param name="Layer">The perturbed residual site.</param>
/// <param name="Prompt">Prompt index.</param>
/// <param name="ReferenceTokens">[steps] the reference's generated token ids.</param>
/// <param name="Copies">The perturbed copies (one ε, the sweep's).</param>
public sealed record LayerSweepRun(string Model, int Layer, int Prompt, int[] ReferenceTokens, IReadOnlyList<CopyRun> Copies);

// What device-agreement measured: for each model (the trained one, the random Llama) in each dtype on the device under
// test, the teacher-forced logit comparison with CPU float32 at every position, the dtype's tolerance, and how many greedy
// steps both decoded alike. The report derives the maxima, means and verdicts from these numbers.
// References: Higham (2002), Accuracy and Stability of Numerical Algorithms, ch. 3; Kalamkar et al. (2019), arXiv:1905.12322.
using TrajectoryLab.Torch.Generation;

namespace TrajectoryLab.Experiments.DeviceAgreement;

/// <summary>Every comparison of one run.</summary>
/// <param name="TextName">The name of the text read teacher-forced.</param>
/// <param name="Comparisons">One per model × dtype, the trained model's first, dtypes in the options' order.</param>
public sealed record DeviceAgreementResult(string TextName, IReadOnlyList<DeviceComparison> Comparisons);

/// <summary>One model in one dtype on the device under test, against CPU float32.</summary>
/// <param name="Model">"trained" or "random Llama".</param>
/// <param name="DType">The candidate's dtype.</param>
/// <param name="Positions">The teacher-forced comparison at each position read.</param>
/// <param name="Tolerance">The relative-error bound c·u·√(L + 2) of <paramref name="DType"/>
/// (<see cref="LogitAgreement.Tolerance"/>).</param>
/// <param name="GreedyAgreeSteps">Greedy steps before the first different token (= the steps run when none differs).</param>
/// <param name="GreedySteps">Greedy steps run.</param>
public sealed record DeviceComparison(
    string Model,
    string DType,
    IReadOnlyList<PositionAgreement> Positions,
    double Tolerance,
    int GreedyAgreeSteps,
    int GreedySteps
)
{
    /// <summary>The comparison with its derived maxima, means and verdict (computed, not stored).</summary>
    public AgreementResult Agreement() => new(Positions, Tolerance);
}

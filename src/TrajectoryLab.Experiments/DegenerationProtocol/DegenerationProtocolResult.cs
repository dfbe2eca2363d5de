// What degeneration-protocol measured: the prefixes and human continuations cut from the texts, every decoder's
// continuations with their summed log-probability under the model (temperature 1), and the model's teacher-forced reading
// of the human continuations (their log-probability and the argmax next-token prediction at every position).
// References: Welleck et al. (2019), arXiv:1908.04319, §6; Holtzman et al. (2020), arXiv:1904.09751, §4 and Table 1.
namespace TrajectoryLab.Experiments.DegenerationProtocol;

/// <summary>Every measurement of one run.</summary>
/// <param name="Model">The model measured.</param>
/// <param name="Sources">[prefixes] the text each prefix was cut from and the window's index in it.</param>
/// <param name="Prefixes">[prefixes][1 + prefixTokens] BOS then the prefix.</param>
/// <param name="Human">The human continuations and the model's reading of them.</param>
/// <param name="Decoders">One per decoder, in the configuration's order.</param>
public sealed record DegenerationProtocolResult(
    ModelFacts Model,
    string[] Sources,
    int[][] Prefixes,
    HumanReading Human,
    IReadOnlyList<DecoderRun> Decoders
);

/// <summary>The human continuations, read teacher-forced.</summary>
/// <param name="Continuations">[prefixes][continuationTokens] the tokens that followed each prefix in the text.</param>
/// <param name="LogProb">Σ ln p(x_t | BOS, prefix, x_&lt;t) over every continuation token.</param>
/// <param name="Predictions">[prefixes][continuationTokens] the model's argmax prediction of each continuation token given
/// the gold context before it.</param>
public sealed record HumanReading(int[][] Continuations, double LogProb, int[][] Predictions);

/// <summary>One decoder's continuations.</summary>
/// <param name="Decoder">Its name.</param>
/// <param name="Continuations">[prefixes][continuationTokens] the generated tokens.</param>
/// <param name="LogProb">Σ ln p(token | context) at temperature 1 over every generated token (the model's own
/// distribution, whatever the decoder sampled from).</param>
/// <param name="WallSeconds">Wall-clock seconds the decoder took (not a result; varies by machine).</param>
public sealed record DecoderRun(string Decoder, int[][] Continuations, double LogProb, double WallSeconds);

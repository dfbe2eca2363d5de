// How one trajectory turns next-token logits into a token: repetition penalty (Keskar et al. 2019, CTRL,
// arXiv:1909.05858), temperature, top-k (Fan, Lewis, Dauphin 2018, arXiv:1805.04833), top-p / nucleus (Holtzman et al.
// 2019, arXiv:1904.09751) and min-p (Nguyen et al. 2024, arXiv:2407.01082), applied in that order (Hugging Face's order).
using System.Globalization;

namespace TrajectoryLab.Torch.Sampling;

/// <summary>Sampling parameters of one trajectory; the defaults sample from the model's plain softmax.</summary>
/// <remarks>
/// Order on the logits z of a row: (1) repetition penalty on tokens already in the row's context;
/// (2) Temperature = 0 stops here and takes argmax z (lowest id among ties); otherwise p = softmax(z / T);
/// (3) top-k keeps the k most probable tokens; (4) top-p keeps, of those, the smallest most-probable prefix whose mass
/// reaches p times the mass top-k kept; (5) min-p keeps tokens with p_k ≥ min_p · max_j p_j; the kept probabilities are
/// renormalised and one token is drawn by inverse CDF in token-id order from the row's uniform. Ties in probability are ordered
/// by the lower token id, so top-k keeps exactly min(k, |V|) tokens (as Core's <c>Truncation</c> does).
/// </remarks>
public sealed record SamplerOptions
{
    /// <summary>Greedy decoding: argmax of the (penalised) logits.</summary>
    public static SamplerOptions Greedy { get; } = new() { Temperature = 0 };

    /// <summary>T ≥ 0 dividing the logits; 0 means greedy. Default 1.</summary>
    public double Temperature { get; init; } = 1;

    /// <summary>Keep the k most probable tokens; 0 turns top-k off. Default 0.</summary>
    public int TopK { get; init; }

    /// <summary>Nucleus mass p in (0, 1]; 1 turns top-p off. Default 1.</summary>
    public double TopP { get; init; } = 1;

    /// <summary>min_p in [0, 1]: keep tokens at least min_p times as probable as the most probable; 0 turns it off. Default 0.</summary>
    public double MinP { get; init; }

    /// <summary>CTRL penalty θ &gt; 0 for tokens already in the row's context (prompt and generated): a logit z &gt; 0
    /// becomes z / θ, a logit z ≤ 0 becomes z · θ. 1 turns it off. Default 1.</summary>
    public double RepetitionPenalty { get; init; } = 1;

    /// <summary>True when the row takes the argmax.</summary>
    public bool IsGreedy => Temperature == 0;

    /// <summary>The first invalid parameter and what is wrong with it, or null when all are valid.</summary>
    public (string Name, string Problem)? FindProblem()
    {
        string Text(double v) => v.ToString("R", CultureInfo.InvariantCulture);
        if (!(Temperature >= 0) || double.IsPositiveInfinity(Temperature))
            return (nameof(Temperature), $"must be finite and ≥ 0 (0 = greedy), is {Text(Temperature)}");
        if (TopK < 0)
            return (nameof(TopK), $"must be ≥ 0 (0 = off), is {TopK}");
        if (!(TopP > 0 && TopP <= 1))
            return (nameof(TopP), $"must be in (0, 1] (1 = off), is {Text(TopP)}");
        if (!(MinP >= 0 && MinP <= 1))
            return (nameof(MinP), $"must be in [0, 1] (0 = off), is {Text(MinP)}");
        if (!(RepetitionPenalty > 0) || double.IsPositiveInfinity(RepetitionPenalty))
            return (nameof(RepetitionPenalty), $"must be finite and > 0 (1 = off), is {Text(RepetitionPenalty)}");
        return null;
    }
}

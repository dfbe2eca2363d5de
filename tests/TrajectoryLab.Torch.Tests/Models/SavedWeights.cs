// The check every save-then-load test of a model folder makes on the weights: the same parameter names, each with the
// same bytes (bit-exact, in the model's dtype).
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Torch.Tests.Models;

internal static class SavedWeights
{
    /// <summary>Every parameter's bytes by its canonical name.</summary>
    public static Dictionary<string, byte[]> Bytes(CausalLm model) =>
        model.named_parameters().ToDictionary(p => p.name, p => p.parameter.contiguous().bytes.ToArray());

    /// <summary>Asserts that <paramref name="actual"/> holds the parameters of <paramref name="expected"/>, bit for bit.</summary>
    public static void AssertSame(CausalLm expected, CausalLm actual)
    {
        var want = Bytes(expected);
        var got = Bytes(actual);
        Assert.Equal(want.Keys.Order(), got.Keys.Order());
        foreach (var (name, bytes) in want)
            Assert.Equal(bytes, got[name]);
    }
}

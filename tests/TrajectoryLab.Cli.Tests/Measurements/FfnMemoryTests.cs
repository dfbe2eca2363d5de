// ffn-memory's measurement pieces on hand-made inputs, each with an outcome that can be wrong: the running top-N keeps
// exactly the N largest activations of the prefixes that have a next token, largest first; the code length of uniform
// logits is log2(V) bits per token; the agreement rates count what Geva et al. define, and a shuffled pairing of
// perfectly agreeing units falls to chance with the smallest possible p-value; a value that is exactly a token's
// unembedding column is read by the head with that token on top, so its unit agrees when its key's top prefix is
// followed by that token. Reference: Geva et al. (2021), EMNLP.
using TrajectoryLab.Experiments.FfnMemory;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

namespace TrajectoryLab.Cli.Tests.Measurements;

public sealed class FfnMemoryTests
{
    [Fact]
    public void TheTopActivationsAreTheLargestOfThePrefixesWithANextToken()
    {
        // Two units, five positions: unit 0 rises with the position, unit 1 falls. Positions 0 (BOS) and 4 (no next token)
        // are never prefixes, however large their value.
        int[] tokens = [100, 101, 102, 103, 104];
        float[] post = [99, 99, 1, 5, 2, 4, 3, 3, 99, 99]; // [pos, unit]
        var top = new TopActivations(units: 2, n: 2);
        top.OfferText(post, text: 7, tokens);
        Assert.Equal([(3.0, 7, 3, 104), (2.0, 7, 2, 103)], top.Of(0));
        Assert.Equal([(5.0, 7, 1, 102), (4.0, 7, 2, 103)], top.Of(1));
        top.Offer(0, 2.5, 8, 9, 55); // beats 2, not 3
        Assert.Equal([(3.0, 7, 3, 104), (2.5, 8, 9, 55)], top.Of(0));
        Assert.Throws<ArgumentException>(() => top.Offer(1, double.NaN, 0, 1, 2));
    }

    [Fact]
    public void UniformLogitsCostLog2OfTheVocabularyPerToken()
    {
        const int vocab = 64;
        int[] tokens = [1, 5, 9, 63];
        var (bits, count) = FfnMemoryMeasures.CodeLength(new float[tokens.Length * vocab], tokens);
        Assert.Equal(3, count);
        Assert.Equal(3 * 6.0, bits, 1e-12);

        var peaked = new float[tokens.Length * vocab];
        for (var t = 0; t + 1 < tokens.Length; t++)
            peaked[t * vocab + tokens[t + 1]] = 50; // p ≈ 1 − 63 e^−50
        Assert.True(FfnMemoryMeasures.CodeLength(peaked, tokens).Bits < 1e-18);
    }

    [Fact]
    public void TheAgreementRatesCountWhatGevaEtAlDefine()
    {
        int[][] values = [[5, 6, 7], [8, 9, 10], [11, 12, 13], [1, 2, 3]];
        int[][] next =
        [
            [5, 5, 0, 0], // top-1 agrees; 2 of 4 prefixes
            [9, 8, 8, 8], // top-1 misses, top-3 holds it; 3 of 4 prefixes
            [0, 0, 0, 0], // nothing
            [], // no prefix: left out
        ];
        var rates = FfnMemoryMeasures.Agreement(values, next, k: 3);
        Assert.Equal(1 / 3.0, rates.Top1, 1e-15);
        Assert.Equal(2 / 3.0, rates.TopK, 1e-15);
        Assert.Equal((0.5 + 0.75 + 0) / 3, rates.Prefixes, 1e-15);
        Assert.Equal(1 / 3.0, FfnMemoryMeasures.Agreement(values, next, k: 1).TopK, 1e-15);

        // Unit 0's key with unit 1's value and so on: nothing agrees at top-1.
        Assert.Equal(0, FfnMemoryMeasures.Agreement(values, next, k: 3, pairing: [1, 2, 0, 3]).Top1);
    }

    [Fact]
    public void ShufflingPerfectlyAgreeingUnitsFallsToChance()
    {
        const int units = 50;
        int[][] values = [.. Enumerable.Range(0, units).Select(u => new[] { u, u + 1000 })];
        int[][] next = [.. Enumerable.Range(0, units).Select(u => new[] { u })];
        Assert.Equal(1, FfnMemoryMeasures.Agreement(values, next, k: 2).Top1);
        var (top1, topK, prefixes) = FfnMemoryMeasures.Shuffled(values, next, k: 2, permutations: 200, seed: 3);
        Assert.True(top1.Mean < 0.1, $"{top1.Mean}"); // a random permutation has 1 fixed point on average: 1/50
        Assert.True(top1.Upper < 0.2);
        Assert.Equal(1 / 201.0, top1.PValue, 1e-15); // no permutation reaches 1 (only the identity would)
        Assert.Equal(top1.Mean, topK.Mean, 1e-15);
        Assert.Equal(top1.Mean, prefixes.Mean, 1e-15);
    }

    [Fact]
    public void AValueThatIsATokensUnembeddingIsReadAsThatToken()
    {
        var spec = ModelSpec.Llama(61, 32, 64, 2, 4, numKvHeads: 2, context: 128);
        using var model = LanguageModel.Random(spec, seed: 5, std: 0.5);
        // The head reads v as (g ⊙ v) W_U with g = 1 at initialisation: column t of W_U (or row t of the tied embedding).
        var (shape, weights) = model.HasWeight(ParameterNames.UnembedW)
            ? model.Weight(ParameterNames.UnembedW) // [d_model, vocab]
            : Transposed(model.Weight(ParameterNames.EmbedW));
        Assert.Equal([32, 61], shape);
        Assert.All(model.Weight(ParameterNames.FinalNormW).Values, g => Assert.Equal(1f, g));
        float[][] values = [.. Enumerable.Range(0, 61).Select(t => Enumerable.Range(0, 32).Select(j => weights[j * 61 + t]).ToArray())];
        var read = FfnMemoryMeasures.HeadTop(model, values, k: 3, batch: 16);
        Assert.Equal(61, read.Length);
        for (var t = 0; t < 61; t++)
        {
            Assert.Equal(t, read[t].Ids[0]);
            var expected = values[t].Sum(x => (double)x * x); // u_t · u_t
            Assert.Equal(expected, read[t].Logits[0], 1e-4 * expected);
        }
        // A unit whose value is u_t and whose key's top prefix is followed by t agrees; followed by another token, it does not.
        Assert.Equal(1, FfnMemoryMeasures.Agreement([read[17].Ids], [[17, 3]], k: 1).Top1);
        Assert.Equal(0, FfnMemoryMeasures.Agreement([read[17].Ids], [[3, 17]], k: 1).Top1);
    }

    static (int[] Shape, float[] Values) Transposed((int[] Shape, float[] Values) w)
    {
        int rows = w.Shape[0], columns = w.Shape[1];
        var t = new float[w.Values.Length];
        for (var r = 0; r < rows; r++)
            for (var c = 0; c < columns; c++)
                t[c * rows + r] = w.Values[r * columns + c];
        return ([columns, rows], t);
    }

    [Fact]
    public void TopIndicesAreTheLargestInOrderWithTheSmallerIndexFirstOnTies()
    {
        Assert.Equal([3, 1, 4], FfnMemoryMeasures.TopIndices([0, 5, 2, 9, 5, 1], 3));
        Assert.Equal([1, 0], FfnMemoryMeasures.TopIndices([1, 2], 5));
        Assert.Throws<ArgumentException>(() => FfnMemoryMeasures.TopIndices([0, float.NaN], 1));
    }
}

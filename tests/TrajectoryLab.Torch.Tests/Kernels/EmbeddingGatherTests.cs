// The tied embedding's gather against libtorch's index_select of the same columns, bit for bit, on random shapes
// (FsCheck): any d_model and vocabulary, any number of ids (repeats included), 1–3 threads. An id outside the
// vocabulary, a negative one, autograd or another dtype leave the lookup to libtorch (which names a bad id).
using FsCheck;
using FsCheck.Xunit;
using TrajectoryLab.Torch.Kernels;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Tests.Kernels;

public sealed class EmbeddingGatherTests
{
    [Property(MaxTest = 60)]
    public void GivesLibTorchsColumns(int seed)
    {
        var random = new Random(seed);
        int features = random.Next(1, 41),
            vocabulary = random.Next(1, 301),
            tokens = random.Next(1, 51);
        using var scope = NewDisposeScope();
        using var threadScope = TrajectoryLab.Torch.Bench.LibTorchThreads.Use(random.Next(1, 4));
        manual_seed(seed);
        var table = randn(features, vocabulary); // [d_model, d_vocab]
        var ids = randint(vocabulary, [tokens], dtype: ScalarType.Int64); // [tokens]
        using var noGrad = no_grad();
        long before = EmbeddingGather.Calls;
        var gathered = EmbeddingGather.TryColumns(table, ids) ?? throw new InvalidOperationException("the kernel did not apply");
        Assert.Equal(before + 1, EmbeddingGather.Calls);
        var reference = table.index_select(1, ids).t().contiguous(); // [tokens, d_model]
        Assert.Equal(reference.shape, gathered.shape);
        Assert.Equal(reference.data<float>().ToArray(), gathered.data<float>().ToArray());
    }

    [Fact]
    public void LeavesBadIdsAndAutogradToLibTorch()
    {
        using var scope = NewDisposeScope();
        var table = randn(4, 10); // [d_model, d_vocab]
        using (no_grad())
        {
            Assert.Null(EmbeddingGather.TryColumns(table, tensor(new long[] { 1, 10 })));
            Assert.Null(EmbeddingGather.TryColumns(table, tensor(new long[] { -1, 2 })));
            Assert.Null(EmbeddingGather.TryColumns(table.to_type(ScalarType.Float64), tensor(new long[] { 1, 2 })));
            Assert.NotNull(EmbeddingGather.TryColumns(table, tensor(new long[] { 0, 9, 9 })));
        }
        Assert.Null(EmbeddingGather.TryColumns(table.requires_grad_(true), tensor(new long[] { 1, 2 })));
    }
}

// libtorch's intra-op thread count is process-wide: a benchmark that sets it must put it back, or every later run in
// the same process (a test suite, a script) computes with another thread count, and so with other rounding.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Bench;

/// <summary>Sets libtorch's thread count until disposed.</summary>
public sealed class LibTorchThreads : IDisposable
{
    private readonly int _previous;

    private LibTorchThreads(int threads)
    {
        _previous = get_num_threads();
        set_num_threads(threads);
    }

    /// <summary>Uses <paramref name="threads"/> intra-op threads until the returned scope is disposed.</summary>
    public static LibTorchThreads Use(int threads) => new(threads);

    /// <summary>Restores the thread count that was set before.</summary>
    public void Dispose() => set_num_threads(_previous);
}

// Scalars that stay alive for as long as the calls using them. TorchSharp 0.107 turns a C# number passed where an op
// takes a Scalar into a temporary Scalar object and hands only its native handle to libtorch; nothing keeps the object
// alive during the call, so the GC may finalize it (freeing the native Scalar) while libtorch reads it. Tensor + tensor
// is one such call: add(other) passes alpha = 1 as an implicit Scalar. In the long Lyapunov runs (which allocate enough
// to collect often) that surfaced as libtorch's "toFloat" check failing inside addcmul_ and add_, about once a minute;
// add_(Scalar) hides one too (its alpha), which a held eps Scalar alone did not cure. The per-step code of the model,
// the sampler and the dynamics therefore passes Scalars held in static or instance fields (or `using` locals), gives
// every add an explicit alpha = One, and squares by x·x (square() is pow(2), a temporary Scalar) and takes norms as
// sqrt(x·x) rather than through norm()'s Scalar p.
// References: dotnet/TorchSharp pull requests #1434 and #1496 (implicitly created Scalars are left to the GC).
using TorchSharp;

namespace TrajectoryLab.Torch.Models;

/// <summary>Constants the per-step code passes to libtorch, held for the life of the process.</summary>
internal static class KeptScalars
{
    /// <summary>0.</summary>
    public static readonly Scalar Zero = 0.ToScalar();

    /// <summary>1.</summary>
    public static readonly Scalar One = 1.ToScalar();

    /// <summary>−∞ (masked attention scores).</summary>
    public static readonly Scalar NegativeInfinity = double.NegativeInfinity.ToScalar();
}

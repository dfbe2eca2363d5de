// The norms a BlockDesign names, built in one place: RMSNorm (w or 1 + w) and LayerNorm.
using static TorchSharp.torch;
using static TorchSharp.torch.nn;

namespace TrajectoryLab.Torch.Models;

/// <summary>Creates the norm of a design.</summary>
internal static class Norms
{
    /// <summary>A norm of <paramref name="kind"/> over the last <paramref name="width"/> features.</summary>
    public static Module<Tensor, Tensor> Create(NormKind kind, int width, double eps, ScalarType dtype) =>
        kind switch
        {
            NormKind.Layer => new LayerNorm(width, eps, dtype),
            NormKind.RmsOffset => new RmsNorm(width, eps, dtype, offset: true),
            _ => new RmsNorm(width, eps, dtype),
        };
}

// x W for a weight stored [in, out], the one product every projection, MLP and head uses. For a few rows (decoding) it
// runs as one broadcast matmul over a column-blocked VIEW of W, [k, in, out/k] (as_strided, no copy), because MKL runs a
// product with few rows on a single thread whatever set_num_threads says, while libtorch spreads the k blocks of a
// batched product over the cores (docs/performance.md). Same dot products, so the result is the same up to
// floating-point summation order. On a GPU the plain product is used: one kernel already fills the device, and the
// blocked view would cost a permute copy per product. Reference: the roofline argument in MachineBaselines.cs.
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Models;

/// <summary>x W with W stored [in, out].</summary>
internal static class WeightProduct
{
    /// <summary>Rows of x at or below which the blocked product is used; larger products are multi-threaded already.</summary>
    public const long BlockedRows = 64;

    /// <summary>Column blocks of the blocked product (the cores it spreads over); 1 turns it off, e.g. for a baseline.</summary>
    public static int Blocks { get; set; } = 2;

    /// <param name="x">[..., in]</param>
    /// <param name="w">[in, out], contiguous.</param>
    /// <returns>[..., out]</returns>
    public static Tensor Apply(Tensor x, Tensor w)
    {
        long input = w.shape[0],
            output = w.shape[1],
            rows = x.numel() / input;
        int k = Blocks;
        if (k <= 1 || rows > BlockedRows || output % k != 0 || w.device_type != TorchSharp.DeviceType.CPU || !w.is_contiguous())
            return x.matmul(w);
        long per = output / k;
        var blocks = w.as_strided([k, input, per], [per, output, 1]); // [k, in, out/k], a view of W
        var parts = x.reshape(1, rows, input).matmul(blocks); // [k, rows, out/k]
        var shape = x.shape.ToArray();
        shape[^1] = output;
        return parts.permute(1, 0, 2).reshape(shape); // [..., out]
    }
}

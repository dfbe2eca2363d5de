// The tuned lens of Belrose et al. (2023): one affine translator per residual site, T_s(h) = h + h A_s + b_s, trained so
// that Head(T_s(h_s)) matches the model's final next-token distribution (minimum KL(final ‖ lens)). With A_s = 0 and
// b_s = 0 it is the logit lens (nostalgebraist 2020), which is where training starts. Saved as a safetensors file with
// the model's content hash and the training curve in its metadata, so a lens is never applied to a model it was not
// trained on. References: Belrose et al. (2023), "Eliciting Latent Predictions from Transformers with the Tuned Lens",
// arXiv:2303.08112; nostalgebraist (2020), "interpreting GPT: the logit lens" (LessWrong).
using System.Globalization;
using TorchSharp;
using TorchSharp.Modules;
using TrajectoryLab.Torch.Checkpoints;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Lens;

/// <summary>Per-site affine translators T_s(h) = h + h A_s + b_s (s = 0 … n_layers), float32 on the CPU.</summary>
public sealed class TunedLens : IDisposable
{
    private readonly Parameter[] _weights; // [sites] of A_s, [d_model, d_model]
    private readonly Parameter[] _biases; // [sites] of b_s, [d_model]

    private TunedLens(Parameter[] weights, Parameter[] biases, IReadOnlyDictionary<string, string> metadata)
    {
        _weights = weights;
        _biases = biases;
        Metadata = metadata;
    }

    /// <summary>Residual sites translated (n_layers + 1).</summary>
    public int Sites => _weights.Length;

    /// <summary>d_model.</summary>
    public int Width => (int)_weights[0].shape[0];

    /// <summary>What the file recorded (model hash, training settings, curve), or what training will record.</summary>
    public IReadOnlyDictionary<string, string> Metadata { get; private set; }

    /// <summary>The logit lens as a tuned lens: every A_s and b_s zero.</summary>
    /// <param name="sites">n_layers + 1.</param>
    /// <param name="width">d_model.</param>
    public static TunedLens Identity(int sites, int width)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(sites, 1);
        ArgumentOutOfRangeException.ThrowIfLessThan(width, 1);
        return new TunedLens(
            [.. Enumerable.Range(0, sites).Select(_ => new Parameter(zeros(width, width)))],
            [.. Enumerable.Range(0, sites).Select(_ => new Parameter(zeros(width)))],
            new Dictionary<string, string>()
        );
    }

    /// <summary>The trainable tensors, A_0, b_0, A_1, b_1, ….</summary>
    internal IEnumerable<Parameter> Parameters() => _weights.Zip(_biases).SelectMany(p => new[] { p.First, p.Second });

    /// <summary>T_s(h) = h + h A_s + b_s.</summary>
    /// <param name="site">0 … Sites − 1.</param>
    /// <param name="h">[batch, pos, d_model] float32.</param>
    /// <returns>[batch, pos, d_model]</returns>
    internal Tensor Translate(int site, Tensor h) => h.add(h.matmul(_weights[site])).add(_biases[site]);

    /// <summary>Adds N(0, <paramref name="std"/>²) to A_<paramref name="site"/> (tests: a translator started away from identity).</summary>
    internal void Perturb(int site, double std, long seed)
    {
        using var noGrad = no_grad();
        var generator = new Generator((ulong)seed);
        using var noise = randn(_weights[site].shape, generator: generator).mul_(std);
        _weights[site].add_(noise);
    }

    /// <summary>‖A_s‖_F / √d_model per site: the translator's distance from identity relative to ‖I‖_F.</summary>
    public double[] DistanceFromIdentity()
    {
        using var noGrad = no_grad();
        return
        [
            .. _weights.Select(w =>
            {
                using var d = w.to_type(ScalarType.Float64);
                using var sq = d.mul(d).sum();
                return Math.Sqrt(sq.item<double>() / Width);
            }),
        ];
    }

    /// <summary>Writes the translators (A_s as translators.{s}.weight, b_s as translators.{s}.bias) and
    /// <paramref name="metadata"/> to <paramref name="path"/> atomically.</summary>
    public void Save(string path, IReadOnlyDictionary<string, string> metadata)
    {
        var writer = new SafetensorsWriter();
        foreach (var (key, value) in metadata)
            writer.AddMetadata(key, value);
        writer.AddMetadata("sites", Sites.ToString(CultureInfo.InvariantCulture));
        writer.AddMetadata("d_model", Width.ToString(CultureInfo.InvariantCulture));
        for (var s = 0; s < Sites; s++)
        {
            writer.Add($"translators.{s}.weight", Values(_weights[s]), Width, Width);
            writer.Add($"translators.{s}.bias", Values(_biases[s]), Width);
        }
        writer.Save(path);
        Metadata = metadata;
    }

    /// <summary>Reads a lens written by <see cref="Save"/>, for a model with <paramref name="sites"/> residual sites of
    /// width <paramref name="width"/>.</summary>
    /// <exception cref="CheckpointException">A tensor is missing, of the wrong shape, or not finite (the message names it).</exception>
    public static TunedLens Load(string path, int sites, int width)
    {
        using var reader = SafetensorsReader.Open(path);
        var weights = new Parameter[sites];
        var biases = new Parameter[sites];
        try
        {
            for (var s = 0; s < sites; s++)
            {
                weights[s] = new Parameter(tensor(Read(reader, $"translators.{s}.weight", [width, width]), [width, width]));
                biases[s] = new Parameter(tensor(Read(reader, $"translators.{s}.bias", [width]), [width]));
            }
        }
        catch
        {
            foreach (var p in weights.Concat(biases))
                p?.Dispose();
            throw;
        }
        return new TunedLens(weights, biases, reader.Header.Metadata ?? new Dictionary<string, string>());
    }

    private static float[] Read(SafetensorsReader reader, string name, long[] shape)
    {
        if (!reader.Contains(name))
            throw new CheckpointException(reader.FilePath, $"tensor '{name}'", "missing");
        var entry = reader.Entry(name);
        if (!entry.Shape.SequenceEqual(shape) || entry.DType != SafetensorsDType.F32)
            throw new CheckpointException(
                reader.FilePath,
                $"tensor '{name}'",
                $"is {entry.DType} [{string.Join(", ", entry.Shape)}], expected F32 [{string.Join(", ", shape)}]"
            );
        reader.CheckFinite(name, new byte[1 << 16]);
        var bytes = new byte[entry.ElementCount * sizeof(float)];
        reader.ReadBytes(name, bytes);
        var values = new float[entry.ElementCount];
        Buffer.BlockCopy(bytes, 0, values, 0, bytes.Length);
        return values;
    }

    private static float[] Values(Tensor t)
    {
        using var c = t.detach().cpu().contiguous();
        return c.data<float>().ToArray();
    }

    /// <summary>Frees the translators.</summary>
    public void Dispose()
    {
        foreach (var p in _weights.Concat(_biases))
            p.Dispose();
    }
}

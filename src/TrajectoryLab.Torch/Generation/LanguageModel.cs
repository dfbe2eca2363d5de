// The public face of a causal language model: load it from a Hugging Face folder or build a random one, on CPU or
// CUDA, in float32/bfloat16/float16, and decode batches of trajectories with it. Tensors stay inside; results are arrays.
using TorchSharp;
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Generation;

/// <summary>What <see cref="LanguageModel.Check"/> verified: the model's files, its architecture, how many tensors and
/// bytes of weights were streamed and found finite, and its tokenizer (null when it has none).</summary>
public sealed record CheckedModel(ModelSource Source, ModelSpec Spec, int Tensors, long Bytes, Tokenizers.ITextTokenizer? Tokenizer);

/// <summary>A causal language model ready to generate (wraps the internal <c>CausalLm</c>).</summary>
/// <remarks>One <see cref="GenerationSession"/> at a time: a session's hooks live on the model's hook points.</remarks>
public sealed class LanguageModel : IDisposable
{
    private readonly CausalLm _model;
    private bool _disposed;

    internal LanguageModel(CausalLm model) => _model = model;

    /// <summary>Loads a model from a path: a Hugging Face folder, a .safetensors file with config.json beside it, or a
    /// llama2.c .bin (<see cref="ModelSource.Resolve"/>).</summary>
    /// <param name="hfFolder">Folder with config.json and model.safetensors (or shards with their index), or a model file.</param>
    /// <param name="options">Device and dtype; default CPU, float32.</param>
    /// <exception cref="ArgumentException">Unknown device or dtype name.</exception>
    /// <exception cref="InvalidOperationException">CUDA requested but not available.</exception>
    /// <exception cref="Checkpoints.CheckpointException">A missing or malformed file or tensor.</exception>
    public static LanguageModel Load(string hfFolder, ModelOptions? options = null) => Load(ModelSource.Resolve(hfFolder), options);

    /// <summary>Loads the model <paramref name="source"/> describes: a Hugging Face checkpoint (config.json + safetensors)
    /// or a llama2.c .bin. Every weight is checked on the way in; a NaN or infinity refuses the load, naming the tensor.</summary>
    /// <param name="source">The model's files (<see cref="ModelSource.Resolve"/>).</param>
    /// <param name="options">Device and dtype; default CPU, float32.</param>
    /// <exception cref="ArgumentException">Unknown device or dtype name.</exception>
    /// <exception cref="InvalidOperationException">CUDA requested but not available.</exception>
    /// <exception cref="CheckpointException">A missing or malformed file or tensor, or a non-finite weight.</exception>
    public static LanguageModel Load(ModelSource source, ModelOptions? options = null)
    {
        ArgumentNullException.ThrowIfNull(source);
        var (device, dtype) = (options ?? new ModelOptions()).Resolve();
        CausalLm model =
            source.Format == ModelFormat.Llama2c
                ? Llama2cCheckpoint.Load(source.WeightsPath, dtype)
                : HfModelFolder.Load(source.ConfigPath!, source.WeightsPath, dtype);
        return OnDevice(model, device, options?.Cache);
    }

    /// <summary>Checks the model <paramref name="source"/> describes without building it: every file, header, shape and
    /// dtype, then every weight streamed once through a 1 MiB buffer and checked for NaN and infinity, then the tokenizer
    /// (parsed, and no larger than the vocabulary). Peak memory stays that of one buffer, whatever the model's size.</summary>
    /// <returns>What was checked.</returns>
    /// <exception cref="CheckpointException">The first problem with the weights or config, naming the file and tensor or key.</exception>
    /// <exception cref="Tokenizers.TokenizerFormatException">A malformed tokenizer, naming the file and key.</exception>
    public static CheckedModel Check(ModelSource source)
    {
        ArgumentNullException.ThrowIfNull(source);
        var (spec, tensors, bytes) =
            source.Format == ModelFormat.Llama2c
                ? Llama2cCheckpoint.Validate(source.WeightsPath)
                : HfModelFolder.Validate(source.ConfigPath!, source.WeightsPath);
        var tokenizer = source.LoadTokenizer(spec.VocabSize);
        return new CheckedModel(source, spec, tensors, bytes, tokenizer);
    }

    /// <summary>Writes the model as a Hugging Face folder (config.json + model.safetensors, in its dtype), which
    /// <see cref="Load(string, ModelOptions?)"/> reads back bit for bit.</summary>
    public void Save(string folder)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        HfModelFolder.Save(_model, folder);
    }

    /// <summary>Writes the model as a llama2.c legacy (version 0) .bin that run.c reads (float32; see
    /// <see cref="Llama2cCheckpoint.Write"/>), so that the same weights can be run by both.</summary>
    /// <exception cref="NotSupportedException">The model is not one run.c computes.</exception>
    public void ExportLlama2c(string filePath)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        Llama2cCheckpoint.Write(_model, filePath);
    }

    /// <summary>A model of architecture <paramref name="spec"/> with weights drawn from N(0, <paramref name="std"/>²)
    /// (norm weights 1, biases 0), for tests and baselines.</summary>
    /// <remarks>Weights are drawn in float32 and then rounded to the dtype, so a seed gives the same model in every dtype.</remarks>
    /// <exception cref="ArgumentException">An invalid spec, device or dtype.</exception>
    /// <exception cref="InvalidOperationException">CUDA requested but not available.</exception>
    public static LanguageModel Random(ModelSpec spec, long seed, ModelOptions? options = null, double std = 0.02)
    {
        var (device, dtype) = (options ?? new ModelOptions()).Resolve();
        var drawn = CausalLm.Create(spec);
        drawn.InitializeRandom(seed, std);
        if (dtype == ScalarType.Float32)
            return OnDevice(drawn, device, options?.Cache);
        using (drawn)
        {
            var model = CausalLm.Create(spec, dtype);
            var source = drawn.named_parameters().ToDictionary(p => p.name, p => p.parameter, StringComparer.Ordinal);
            using var noGrad = torch.no_grad();
            foreach (var (name, parameter) in model.named_parameters())
                parameter.copy_(source[name]);
            return OnDevice(model, device, options?.Cache);
        }
    }

    private static LanguageModel OnDevice(CausalLm model, Device device, CachePolicy? cache)
    {
        try
        {
            var loaded = new LanguageModel(model);
            loaded.Cache = cache;
            if (device.type != DeviceType.CPU)
                model.to(device);
            model.eval();
            return loaded;
        }
        catch
        {
            model.Dispose();
            throw;
        }
    }

    /// <summary>The architecture.</summary>
    public ModelSpec Spec => _model.Spec;

    /// <summary>Which keys the model's full-attention layers keep in every pass and session from now on: StreamingLLM's
    /// sinks and window (<see cref="CachePolicy"/>), or null (the default) for every key.</summary>
    /// <exception cref="ArgumentException">An invalid policy, or one this architecture cannot run
    /// (<see cref="CachePolicy.ProblemWith"/>).</exception>
    /// <exception cref="InvalidOperationException">Set while a session is open.</exception>
    public CachePolicy? Cache
    {
        get => _model.Cache;
        set
        {
            ObjectDisposedException.ThrowIf(_disposed, this);
            if (_user is not null)
                throw new InvalidOperationException("the cache policy cannot change while a session is open");
            if (value?.FindProblem() is var (key, problem))
                throw new ArgumentException($"cache policy: {key} {problem}", nameof(value));
            if (value?.ProblemWith(_model.Spec) is { } unfit)
                throw new ArgumentException($"cache policy: {unfit}", nameof(value));
            _model.Cache = value;
        }
    }

    /// <summary>Number of weights (a tied head counted once).</summary>
    public long ParameterCount => _model.parameters().Sum(p => p.numel());

    /// <summary>Where the weights live, e.g. <c>cpu</c> or <c>cuda:0</c>.</summary>
    public string Device => _model.Device.ToString();

    /// <summary>Weights and activations: <c>float32</c>, <c>bfloat16</c> or <c>float16</c>.</summary>
    public string DType => HfModelFolder.TorchDTypeName(_model.DType);

    /// <summary>A copy of the weight named <paramref name="name"/> (a canonical <see cref="ParameterNames"/> name, e.g.
    /// <c>blocks.0.mlp.W_out</c>), as float32 on the CPU: its shape ([in, out] for a matrix) and its values, row-major.</summary>
    /// <exception cref="ArgumentException">The model has no weight of that name; the message lists a few.</exception>
    public (int[] Shape, float[] Values) Weight(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        foreach (var (n, p) in _model.named_parameters())
            if (n == name)
            {
                using var scope = NewDisposeScope();
                var values = p.detach().to_type(ScalarType.Float32).cpu().contiguous().data<float>().ToArray();
                return ([.. p.shape.Select(d => (int)d)], values);
            }
        var some = string.Join(", ", _model.named_parameters().Select(p => p.name).Take(8));
        throw new ArgumentException($"no weight '{name}'; for example: {some}", nameof(name));
    }

    /// <summary>True when the model has a weight named <paramref name="name"/>.</summary>
    public bool HasWeight(string name)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        return _model.named_parameters().Any(p => p.name == name);
    }

    /// <summary>Every hook point name, in forward order (TransformerLens names, e.g. <c>blocks.0.hook_resid_post</c>).</summary>
    public IReadOnlyList<string> HookNames => Models.HookNames.All(_model.Spec);

    /// <summary>The open session, or null.</summary>
    internal GenerationSession? Session => _user as GenerationSession;

    private object? _user; // the session or dynamics run whose hooks are on the model, or null

    /// <summary>The wrapped model, for code inside TrajectoryLab.Torch.</summary>
    internal CausalLm Model => _model;

    /// <summary>Starts decoding a batch with <paramref name="options"/>; call <see cref="GenerationSession.Prefill"/> next.</summary>
    /// <exception cref="InvalidOperationException">Another session of this model is still open.</exception>
    public GenerationSession StartSession(GenerationOptions options)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var session = new GenerationSession(this, _model, options);
        Acquire(session);
        return session;
    }

    /// <summary>Starts reading tokens one at a time for coding (batch 1, one token per pass); dispose it when done.</summary>
    /// <param name="capacity">The most tokens one context holds (at most the model's context length for a Transformer).</param>
    /// <exception cref="InvalidOperationException">Another session of this model is still open.</exception>
    public NextTokenPredictor StartPredictor(int capacity)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        var predictor = new NextTokenPredictor(this, _model, capacity);
        try
        {
            Acquire(predictor);
        }
        catch
        {
            predictor.Dispose();
            throw;
        }
        return predictor;
    }

    internal void EndSession(GenerationSession session) => Release(session);

    /// <summary>Marks the model as used by <paramref name="user"/> (a session or a dynamics run), whose hooks live on it.</summary>
    /// <exception cref="InvalidOperationException">Another user still holds it.</exception>
    internal void Acquire(object user)
    {
        ObjectDisposedException.ThrowIf(_disposed, this);
        if (_user is not null)
            throw new InvalidOperationException(
                $"the model is in use by an open {_user.GetType().Name}; dispose it first (its hooks live on the model)"
            );
        _user = user;
    }

    /// <summary>Frees the model for the next user, if <paramref name="user"/> holds it.</summary>
    internal void Release(object user)
    {
        if (ReferenceEquals(_user, user))
            _user = null;
    }

    /// <summary>Disposes the open session, if any, and frees the weights.</summary>
    public void Dispose()
    {
        if (_disposed)
            return;
        (_user as IDisposable)?.Dispose();
        _model.Dispose();
        _disposed = true;
    }
}

// Trains a Llama transformer (Touvron et al. 2023) or a Mamba-1 state-space model (Gu & Dao 2023) on packed token
// windows with AdamW (Loshchilov & Hutter 2019), warm-up + cosine schedule and global-norm clipping, measuring next-token
// entropy on fixed batches as it goes, with checkpoints that resume bit-identically. The public surface returns numbers
// and strings; tensors stay inside.
using TorchSharp;
using TorchSharp.Modules;
using TrajectoryLab.Core.Randomness;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Training;

/// <summary>A model's perplexity on validation windows next to the unigram and bigram baselines on the same targets.</summary>
/// <param name="Tokens">Targets scored.</param>
/// <param name="Model">exp(mean −ln p_model(y_t | context)).</param>
/// <param name="Unigram">Add-k unigram perplexity.</param>
/// <param name="Bigram">Add-k bigram perplexity.</param>
public sealed record PerplexityComparison(long Tokens, double Model, double Unigram, double Bigram);

/// <summary>One training run in a folder: open it fresh or from its newest checkpoint, train, measure, save.</summary>
/// <remarks>Single-threaded by contract: every tensor operation happens on the calling thread, one dispose scope per step.</remarks>
public sealed class TrainingSession : IDisposable
{
    private readonly TrainingData _data;
    private readonly DecoderModel _model;
    private readonly Device _device;
    private readonly AdamW _optimizer;
    private readonly Parameter[] _parameters;
    private readonly CheckpointStore _store;
    private readonly NGramBaseline _baseline;
    private readonly (long[] Inputs, long[] Targets) _trainProbe; // [monitorBatch · context] each
    private readonly (long[] Inputs, long[] Targets) _validationProbe; // [monitorBatch · context] each
    private readonly HashSet<int> _snapshotSteps;
    private SplitMix64 _sampler;
    private readonly int? _first; // the token at position 0 of every window (EosFirst), or null
    private List<StepRecord> _steps = [];
    private List<MonitorPoint> _monitor = [];
    private Dictionary<int, double[]> _snapshots = [];
    private readonly Bench.LibTorchThreads _threads;

    private TrainingSession(TrainingConfig config, TrainingData data, string folder)
    {
        Config = config;
        _data = data;
        _threads = Bench.LibTorchThreads.Use(config.Threads); // until Dispose
        var m = config.Model;
        var spec = Spec(m, data.Tokenizer.Tokenizer.VocabularySize) with
        {
            TorchDType = "float32",
            EosTokenIds = [data.Tokenizer.EndOfText],
        };
        _device = new ModelOptions { Device = config.Device }
            .Resolve()
            .Device;
        _model = new DecoderModel(spec);
        _model.train(); // a Mamba mixer in training mode runs its scan as one kernel (SelectiveScan.cs)
        _model.InitializeRandom(config.Seed); // drawn on the CPU, so a seed gives the same initial weights on every device
        if (_device.type != DeviceType.CPU)
            _model.to(_device);
        _parameters = _model.parameters().ToArray();
        var o = config.Optimizer;
        // Decoupled weight decay on matrices only: norm weights (vectors) are scales, not features.
        var groups = new[]
        {
            new AdamW.ParamGroup(
                _parameters.Where(p => p.dim() >= 2),
                o.LearningRate,
                o.Beta1,
                o.Beta2,
                o.Eps,
                o.WeightDecay,
                false,
                false
            ),
            new AdamW.ParamGroup(_parameters.Where(p => p.dim() < 2), o.LearningRate, o.Beta1, o.Beta2, o.Eps, 0, false, false),
        };
        _optimizer = optim.AdamW(groups, o.LearningRate, o.Beta1, o.Beta2, o.Eps, o.WeightDecay);
        _store = new CheckpointStore(Path.Combine(folder, "checkpoints"), config.KeepCheckpoints);
        _baseline = new NGramBaseline(data.Train, data.Tokenizer.Tokenizer.VocabularySize, config.AddK);
        _sampler = new SplitMix64((ulong)config.Seed);
        _first = config.EosFirst ? data.Tokenizer.EndOfText : null;
        _trainProbe = Windows.Sample(data.Train, config.MonitorBatch, m.Context, new SplitMix64((ulong)config.Seed + 1), _first);
        _validationProbe = Windows.Sample(data.Validation, config.MonitorBatch, m.Context, new SplitMix64((ulong)config.Seed + 2), _first);
        var early = Math.Min(
            config.Steps,
            Math.Max(1, (config.Steps / 10 + config.MonitorEvery - 1) / config.MonitorEvery) * config.MonitorEvery
        );
        _snapshotSteps = [0, early, config.Steps];
        ProbeBaselines = _baseline.Perplexity(_validationProbe.Inputs, _validationProbe.Targets);
    }

    /// <summary>The model the shape describes, float32, before the tokenizer's ids are recorded.</summary>
    /// <param name="m">The shape.</param>
    /// <param name="vocabulary">vocab_size.</param>
    public static ModelSpec Spec(ModelShape m, int vocabulary) =>
        m.IsMamba
            ? Models.Families.MambaFamily.Spec(
                vocabulary,
                m.Dim,
                m.Layers,
                new MambaDesign(m.StateSize, m.ConvKernel, m.Expand, m.ResolvedTimeStepRank),
                tieWordEmbeddings: m.TieEmbeddings
            )
            : ModelSpec.Llama(
                vocabulary,
                m.Dim,
                m.Hidden,
                m.Layers,
                m.Heads,
                m.KvHeads,
                context: m.Context,
                tieWordEmbeddings: m.TieEmbeddings
            );

    /// <summary>The run's configuration.</summary>
    public TrainingConfig Config { get; }

    /// <summary>Optimizer steps taken.</summary>
    public int Step { get; private set; }

    /// <summary>The checkpoint step this session resumed from, or null for a fresh start.</summary>
    public int? ResumedFrom { get; private set; }

    /// <summary>Every optimizer step so far (a resumed session includes the steps before the checkpoint).</summary>
    public IReadOnlyList<StepRecord> Steps => _steps;

    /// <summary>Every monitor point so far.</summary>
    public IReadOnlyList<MonitorPoint> Monitor => _monitor;

    /// <summary>Per-position entropies H_t (nats) on the validation probe at step 0, an early step (~10 % of the run) and the last step,
    /// once reached.</summary>
    public IReadOnlyDictionary<int, double[]> EntropySnapshots => _snapshots;

    /// <summary>Unigram and bigram perplexity on the fixed validation monitoring batch (the lines under the model's curve).</summary>
    public (double Unigram, double Bigram) ProbeBaselines { get; }

    /// <summary>Number of trainable weights.</summary>
    public long ParameterCount => _parameters.Sum(p => p.numel());

    /// <summary>Opens a run in <paramref name="folder"/>; with <paramref name="resume"/> it continues from the newest checkpoint
    /// there.</summary>
    /// <exception cref="InvalidOperationException">Resuming where there is no checkpoint, or with a configuration that differs
    /// from the checkpoint's (the keys are named).</exception>
    public static TrainingSession Open(TrainingConfig config, TrainingData data, string folder, bool resume)
    {
        ArgumentNullException.ThrowIfNull(config);
        ArgumentNullException.ThrowIfNull(data);
        var session = new TrainingSession(config, data, folder);
        try
        {
            if (resume)
            {
                var step = session._store.Latest()
                    ?? throw new InvalidOperationException($"{session._store.Folder}: no checkpoint to resume from");
                var state = session._store.Load(step, session._model, session._optimizer);
                var differences = CheckpointStore.Differences(state.Config, config);
                if (differences.Count > 0)
                    throw new InvalidOperationException(
                        $"{session._store.Folder}: cannot resume step {step} with a different configuration; "
                            + $"changed: {string.Join(", ", differences)}"
                    );
                (session.Step, session.ResumedFrom, session._sampler) = (state.Step, state.Step, new SplitMix64(state.SamplerState));
                (session._steps, session._monitor, session._snapshots) = (state.Steps, state.Monitor, state.Snapshots);
            }

            return session;
        }
        catch
        {
            session.Dispose();
            throw;
        }
    }

    /// <summary>Trains until <paramref name="untilStep"/> (at most <see cref="TrainingConfig.Steps"/>), measuring and checkpointing on
    /// schedule.</summary>
    /// <param name="untilStep">Step to stop after; a smaller value than Steps pauses the run (the schedule still spans Steps),
    /// and a checkpoint is written there.</param>
    /// <param name="cancellation">Checked between steps; on cancellation a checkpoint is written, then it throws.</param>
    /// <param name="afterStep">Called after each step with the step number.</param>
    public void Train(int untilStep, CancellationToken cancellation = default, Action<int>? afterStep = null)
    {
        untilStep = Math.Min(untilStep, Config.Steps);
        if (_monitor.Count == 0)
            Measure();
        while (Step < untilStep)
        {
            if (cancellation.IsCancellationRequested)
            {
                SaveCheckpoint();
                cancellation.ThrowIfCancellationRequested();
            }

            TrainStep();
            if (Step % Config.MonitorEvery == 0 || Step == Config.Steps)
                Measure();
            if (Step % Config.CheckpointEvery == 0 || Step == Config.Steps)
                SaveCheckpoint();
            afterStep?.Invoke(Step);
        }

        if (Step == untilStep)
            SaveCheckpoint(); // a paused run can always resume from where it stopped
    }

    /// <summary>Writes a checkpoint of the current step.</summary>
    public void SaveCheckpoint() =>
        _store.Save(_model, _optimizer, new CheckpointState(Config, Step, _sampler.State, _steps, _monitor, _snapshots));

    /// <summary>Writes a Hugging Face model folder: config.json, model.safetensors and tokenizer.json.</summary>
    public void SaveModel(string folder)
    {
        HfModelFolder.Save(_model, folder);
        _data.Tokenizer.CopyTo(folder);
    }

    /// <summary>Perplexity of the model and of both baselines on consecutive, non-overlapping validation windows.</summary>
    /// <param name="maxTokens">At most this many targets (rounded down to whole windows, at least one); 0 scores the whole stream.</param>
    public PerplexityComparison EvaluateValidation(long maxTokens)
    {
        var length = Config.Model.Context;
        var windows = (int)
            Math.Max(1, Math.Min((_data.Validation.Length - 1) / length, maxTokens > 0 ? maxTokens / length : long.MaxValue));
        var starts = Enumerable.Range(0, windows).Select(w => w * length).ToArray();
        var (inputs, targets) = Windows.At(_data.Validation, starts, length, _first); // [windows · length] each
        var sum = 0.0;
        for (var first = 0; first < windows; first += Config.MonitorBatch)
        {
            var count = Math.Min(Config.MonitorBatch, windows - first);
            using var scope = NewDisposeScope();
            using var noGrad = no_grad();
            var x = tensor(inputs.AsSpan(first * length, count * length).ToArray(), [count, length], device: _device); // [count, length]
            var y = tensor(targets.AsSpan(first * length, count * length).ToArray(), [count * length], device: _device); // [count · length]
            var logits = _model.call(x, null, 0); // [count, length, vocab]
            sum += nn
                .functional.cross_entropy(logits.view(count * length, -1), y, reduction: nn.Reduction.Sum)
                .to_type(ScalarType.Float64)
                .item<double>();
        }

        var (unigram, bigram) = _baseline.Perplexity(inputs, targets);
        return new PerplexityComparison(targets.Length, Math.Exp(sum / targets.Length), unigram, bigram);
    }

    /// <summary>The model's weights by canonical name, as float arrays (tests compare runs with it).</summary>
    internal IReadOnlyDictionary<string, float[]> WeightsSnapshot()
    {
        using var scope = NewDisposeScope();
        return _model.named_parameters().ToDictionary(p => p.name, p => p.parameter.detach().cpu().contiguous().data<float>().ToArray());
    }

    /// <summary>Disposes the optimizer state and the model, and restores libtorch's thread count.</summary>
    public void Dispose()
    {
        _optimizer.Dispose();
        _model.Dispose();
        _threads.Dispose();
    }

    private void TrainStep()
    {
        int batch = Config.BatchSize,
            length = Config.Model.Context;
        var lr = LearningRateSchedule.At(Step + 1, Config.Steps, Config.Optimizer);
        foreach (var group in _optimizer.ParamGroups)
            group.LearningRate = lr;
        var (inputs, targets) = Windows.Sample(_data.Train, batch, length, _sampler, _first); // [batch · length] each
        using var scope = NewDisposeScope();
        _optimizer.zero_grad();
        var logits = _model.call(tensor(inputs, [batch, length], device: _device), null, 0); // [batch, length, vocab]
        var loss = nn.functional.cross_entropy(logits.view(batch * length, -1), tensor(targets, [batch * length], device: _device)); // []
        var value = loss.item<float>();
        if (!float.IsFinite(value))
            throw new InvalidOperationException(
                string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"training diverged: the loss at step {Step + 1} is {value} (learning rate {lr:G3}); "
                )
                    + "the weights before this step are finite, and no checkpoint holds non-finite ones — "
                    + "lower optimizer.learningRate or set optimizer.gradClip"
            );
        loss.backward();
        var clip = Config.Optimizer.GradClip > 0 ? Config.Optimizer.GradClip : double.PositiveInfinity;
        var norm = nn.utils.clip_grad_norm_(_parameters, clip);
        if (!double.IsFinite(norm))
            throw new InvalidOperationException(
                string.Create(
                    System.Globalization.CultureInfo.InvariantCulture,
                    $"training diverged: the gradient norm at step {Step + 1} is {norm} (loss {value}); "
                ) + "the weights were not updated — lower optimizer.learningRate or set optimizer.gradClip"
            );
        _optimizer.step();
        Step++;
        _steps.Add(new StepRecord(Step, lr, value, norm));
    }

    private void Measure()
    {
        var train = MeasureBatch(_trainProbe, out _);
        var validation = MeasureBatch(_validationProbe, out var entropies);
        _monitor.Add(new MonitorPoint(Step, train, validation));
        if (_snapshotSteps.Contains(Step))
            _snapshots[Step] = entropies;
    }

    private EntropyMeasurement MeasureBatch((long[] Inputs, long[] Targets) probe, out double[] entropies)
    {
        int batch = Config.MonitorBatch,
            length = Config.Model.Context;
        float[] logits; // [batch · length · vocab]
        using (var scope = NewDisposeScope())
        using (no_grad())
            logits = _model
                .call(tensor(probe.Inputs, [batch, length], device: _device), null, 0)
                .cpu()
                .contiguous()
                .data<float>()
                .ToArray();
        return EntropyMeasurement.Measure(
            logits,
            probe.Targets,
            batch,
            _data.Tokenizer.Tokenizer.VocabularySize,
            Config.HighEntropyQuantile,
            out entropies
        );
    }
}

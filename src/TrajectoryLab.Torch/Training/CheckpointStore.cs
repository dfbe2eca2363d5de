// Training checkpoints: one folder per step (weights.safetensors, optimizer.bin, state.json), built under a temporary
// name and renamed into place, so a killed run leaves either a whole checkpoint or none. Together they hold everything a
// step depends on (weights, AdamW moments and step counts, the batch sampler's state, the history), so a resumed run
// continues bit-identically.
using System.Globalization;
using System.Text.Json;
using System.Text.Json.Nodes;
using TorchSharp.Modules;
using TrajectoryLab.Core.IO;
using TrajectoryLab.Torch.Checkpoints;
using TrajectoryLab.Torch.Models;
using static TorchSharp.torch;

namespace TrajectoryLab.Torch.Training;

/// <summary>Everything besides weights and optimizer moments that a resumed run needs.</summary>
/// <param name="Config">The run's configuration (a resume must use the same).</param>
/// <param name="Step">Optimizer steps taken.</param>
/// <param name="SamplerState">State of the training-batch sampler.</param>
/// <param name="Steps">Every step so far.</param>
/// <param name="Monitor">Every monitor point so far.</param>
/// <param name="Snapshots">Per-position validation entropies at the snapshot steps so far.</param>
internal sealed record CheckpointState(
    TrainingConfig Config,
    int Step,
    ulong SamplerState,
    List<StepRecord> Steps,
    List<MonitorPoint> Monitor,
    Dictionary<int, double[]> Snapshots
);

/// <summary>Writes and finds checkpoints under <c>{folder}/step-NNNNNNN/</c>.</summary>
internal sealed class CheckpointStore(string folder, int keep)
{
    private const string WeightsFile = "weights.safetensors",
        OptimizerFile = "optimizer.bin",
        StateFile = "state.json";

    /// <summary>JSON of the state: NaN stays NaN (a breakdown is a result).</summary>
    internal static readonly JsonSerializerOptions Json = new(JsonSerializerDefaults.Web)
    {
        NumberHandling = System.Text.Json.Serialization.JsonNumberHandling.AllowNamedFloatingPointLiterals,
    };

    /// <summary>The folder holding the step folders.</summary>
    public string Folder => folder;

    /// <summary>Saves step <paramref name="state"/>.Step; keeps the newest <c>keep</c> checkpoints.</summary>
    public void Save(DecoderModel model, AdamW optimizer, CheckpointState state)
    {
        var final = StepFolder(state.Step);
        if (Directory.Exists(final))
            return; // saved already at this step: the state is the same
        var staging = Path.Combine(folder, $".{Path.GetFileName(final)}.{Guid.NewGuid():N}.tmp");
        Directory.CreateDirectory(staging);
        try
        {
            var writer = new SafetensorsWriter().AddMetadata("step", state.Step.ToString(CultureInfo.InvariantCulture));
            foreach (var (name, p) in model.named_parameters())
                writer.Add(name, p);
            writer.Save(Path.Combine(staging, WeightsFile));
            AtomicFile.Write(Path.Combine(staging, OptimizerFile), s =>
            {
                using var w = new BinaryWriter(s, System.Text.Encoding.UTF8, leaveOpen: true);
                optimizer.save_state_dict(w);
            });
            AtomicFile.WriteAllText(Path.Combine(staging, StateFile), JsonSerializer.Serialize(state, Json));
            Directory.Move(staging, final);
        }
        finally
        {
            if (Directory.Exists(staging))
                Directory.Delete(staging, recursive: true);
        }

        foreach (var old in Steps().OrderDescending().Skip(keep))
            Directory.Delete(StepFolder(old), recursive: true);
    }

    /// <summary>The newest checkpoint's step, or null when there is none.</summary>
    public int? Latest() => Steps().Select(s => (int?)s).DefaultIfEmpty(null).Max();

    /// <summary>Loads checkpoint <paramref name="step"/> into <paramref name="model"/> and <paramref name="optimizer"/> and returns its
    /// state.</summary>
    /// <exception cref="CheckpointException">A file is missing or does not match the model.</exception>
    public CheckpointState Load(int step, DecoderModel model, AdamW optimizer)
    {
        var dir = StepFolder(step);
        var statePath = Path.Combine(dir, StateFile);
        var state = JsonSerializer.Deserialize<CheckpointState>(File.ReadAllText(statePath), Json)
            ?? throw new CheckpointException(statePath, null, "empty");
        var weightsPath = Path.Combine(dir, WeightsFile);
        using (var reader = SafetensorsReader.Open(weightsPath))
        using (no_grad())
        {
            foreach (var (name, p) in model.named_parameters())
            {
                if (!reader.Contains(name))
                    throw CheckpointException.ForTensor(weightsPath, name, "is missing");
                using var stored = reader.ReadTensor(name);
                if (!stored.shape.SequenceEqual(p.shape))
                    throw CheckpointException.ForTensor(
                        weightsPath,
                        name,
                        $"has shape [{string.Join(", ", stored.shape)}], the model [{string.Join(", ", p.shape)}]"
                    );
                p.copy_(stored);
            }
        }

        using (var r = new BinaryReader(File.OpenRead(Path.Combine(dir, OptimizerFile))))
            optimizer.load_state_dict(r);
        return state;
    }

    /// <summary>The keys (dotted paths) whose values differ between two configurations.</summary>
    public static IReadOnlyList<string> Differences(TrainingConfig a, TrainingConfig b)
    {
        var (x, y) = (Flatten(JsonSerializer.SerializeToNode(a, Json)!, ""), Flatten(JsonSerializer.SerializeToNode(b, Json)!, ""));
        return x.Keys.Union(y.Keys).Where(k => x.GetValueOrDefault(k) != y.GetValueOrDefault(k)).Order(StringComparer.Ordinal).ToList();
    }

    private static Dictionary<string, string> Flatten(JsonNode node, string prefix) =>
        node switch
        {
            JsonObject o => o.SelectMany(kv => Flatten(kv.Value!, prefix.Length == 0 ? kv.Key : $"{prefix}.{kv.Key}")).ToDictionary(),
            _ => new Dictionary<string, string> { [prefix] = node.ToJsonString() },
        };

    private string StepFolder(int step) => Path.Combine(folder, string.Create(CultureInfo.InvariantCulture, $"step-{step:D7}"));

    private IEnumerable<int> Steps() =>
        !Directory.Exists(folder)
            ? []
            : Directory
                .GetDirectories(folder, "step-*")
                .Select(d =>
                    int.TryParse(Path.GetFileName(d)["step-".Length..], NumberStyles.None, CultureInfo.InvariantCulture, out var s) ? s : -1
                )
                .Where(s => s >= 0);
}

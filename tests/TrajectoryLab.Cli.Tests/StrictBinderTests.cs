// Bad configuration fails before any work starts, with a message that names the file and the key.
using TrajectoryLab.Cli.Configuration;
using TrajectoryLab.Experiments.KnownSystems;

namespace TrajectoryLab.Cli.Tests;

public sealed class StrictBinderTests : IDisposable
{
    readonly string _dir = Directory.CreateTempSubdirectory("tlab-config-").FullName;

    public void Dispose() => Directory.Delete(_dir, recursive: true);

    string Write(string json)
    {
        var path = Path.Combine(_dir, "exp.json");
        File.WriteAllText(path, json);
        return path;
    }

    object Bind(string json, Dictionary<string, string?>? overrides = null)
    {
        var config = ExperimentConfig.Load(Write(json), overrides ?? []);
        return StrictBinder.Bind(config.Root, typeof(KnownSystemSpectrumOptions), config.SourceOf);
    }

    [Fact]
    public void BindsNestedKeysCaseInsensitively()
    {
        var o = (KnownSystemSpectrumOptions)Bind("""{ "kind": "known-system-spectrum", "system": "lorenz", "spectrum": { "steps": 123, "qrInterval": 5 } }""");
        Assert.Equal(KnownSystem.Lorenz, o.System);
        Assert.Equal(123, o.Spectrum.Steps);
        Assert.Equal(5, o.Spectrum.QrInterval);
        Assert.Equal(1000, o.Spectrum.Transient); // default kept
    }

    [Fact]
    public void AListOnTheCommandLineReplacesTheFilesListWhole()
    {
        var file = Write("""{ "kind": "lyapunov-teacher-forced", "layers": [0, 2, 4], "text": { "texts": ["a", "b"] } }""");
        var config = ExperimentConfig.Load(file, new Dictionary<string, string?> { ["layers"] = "[3]", ["Text.Texts"] = "[\"one, two\"]" });
        var o = (TrajectoryLab.Experiments.LyapunovTeacherForced.LyapunovTeacherForcedOptions)StrictBinder.Bind(config.Root, typeof(TrajectoryLab.Experiments.LyapunovTeacherForced.LyapunovTeacherForcedOptions), config.SourceOf);
        Assert.Equal([3], o.Layers);
        Assert.Equal(["one, two"], o.Text.Texts);

        // An element override still changes one element; a malformed list names its key.
        var element = ExperimentConfig.Load(file, new Dictionary<string, string?> { ["layers:1"] = "5" });
        Assert.Equal([0, 5, 4], ((TrajectoryLab.Experiments.LyapunovTeacherForced.LyapunovTeacherForcedOptions)StrictBinder.Bind(element.Root, typeof(TrajectoryLab.Experiments.LyapunovTeacherForced.LyapunovTeacherForcedOptions), element.SourceOf)).Layers);
        var e = Assert.Throws<ConfigException>(() => ExperimentConfig.Load(file, new Dictionary<string, string?> { ["layers"] = "[1," }));
        Assert.Contains("layers", e.Message);
    }

    [Fact]
    public void AListInTheFileReplacesTheDefaultList()
    {
        var config = ExperimentConfig.Load(Write("""{ "kind": "bench-decode", "batches": [4] }"""), new Dictionary<string, string?>());
        var o = (TrajectoryLab.Experiments.Bench.DecodeBenchOptions)StrictBinder.Bind(config.Root, typeof(TrajectoryLab.Experiments.Bench.DecodeBenchOptions), config.SourceOf);
        Assert.Equal([4], o.Batches);
        var defaults = ExperimentConfig.Load(Write("""{ "kind": "bench-decode" }"""), new Dictionary<string, string?>());
        Assert.Equal([1, 32], ((TrajectoryLab.Experiments.Bench.DecodeBenchOptions)StrictBinder.Bind(defaults.Root, typeof(TrajectoryLab.Experiments.Bench.DecodeBenchOptions), defaults.SourceOf)).Batches);
    }

    [Fact]
    public void AMisspelledKeyNamesTheFileTheKeyAndTheLikelyIntent()
    {
        var e = Assert.Throws<ConfigException>(() => Bind("""{ "kind": "k", "spectrum": { "stepz": 10 } }"""));
        Assert.EndsWith("exp.json", e.File);
        Assert.Equal("spectrum:stepz", e.Key);
        Assert.Contains("did you mean 'spectrum:steps'", e.Message);
        Assert.StartsWith(Path.Combine(_dir, "exp.json") + ": key 'spectrum:stepz'", e.Message);
    }

    [Fact]
    public void AWrongTypeNamesTheKeyAndTheExpectedType()
    {
        var e = Assert.Throws<ConfigException>(() => Bind("""{ "kind": "k", "spectrum": { "steps": "many" } }"""));
        Assert.Equal("spectrum:steps", e.Key);
        Assert.Contains("'many' is not a valid integer", e.Message);
    }

    [Fact]
    public void AnUnknownEnumValueListsTheChoices()
    {
        var e = Assert.Throws<ConfigException>(() => Bind("""{ "kind": "k", "system": "rossler" }"""));
        Assert.Equal("system", e.Key);
        Assert.Contains("Henon, Lorenz, Logistic", e.Message);
    }

    [Fact]
    public void AnOutOfRangeValueNamesTheNestedKey()
    {
        var e = Assert.Throws<ConfigException>(() => Bind("""{ "kind": "k", "twoTrajectory": { "epsilon": 5 } }"""));
        Assert.Equal("twoTrajectory:epsilon", e.Key);
        Assert.Contains("between", e.Message);
    }

    [Fact]
    public void CrossFieldValidationNamesTheKey()
    {
        var e = Assert.Throws<ConfigException>(() => Bind("""{ "kind": "k", "system": "henon", "spectrum": { "k": 3 } }"""));
        Assert.Equal("spectrum:k", e.Key);
        Assert.Contains("exceeds the dimension 2", e.Message);
    }

    [Fact]
    public void AnObjectWhereANumberBelongsIsRefused()
    {
        var e = Assert.Throws<ConfigException>(() => Bind("""{ "kind": "k", "seed": { "value": 1 } }"""));
        Assert.Equal("seed", e.Key);
    }

    [Fact]
    public void OverridesWinAndAreReportedAsCommandLine()
    {
        var o = (KnownSystemSpectrumOptions)Bind("""{ "kind": "k", "spectrum": { "steps": 10 } }""", new() { ["spectrum.steps"] = "77" });
        Assert.Equal(77, o.Spectrum.Steps);
        var e = Assert.Throws<ConfigException>(() => Bind("""{ "kind": "k" }""", new() { ["spectrum.qrInterval"] = "0" }));
        Assert.Contains("overridden on the command line", e.Message);
    }

    [Fact]
    public void InvalidJsonNamesTheFile()
    {
        var e = Assert.Throws<ConfigException>(() => Bind("""{ "kind": "k", """));
        Assert.EndsWith("exp.json", e.File);
        Assert.Contains("not valid JSON", e.Message);
    }

    [Fact]
    public void AMissingFileNamesIt()
    {
        var e = Assert.Throws<ConfigException>(() => ExperimentConfig.Load(Path.Combine(_dir, "nope.json"), new Dictionary<string, string?>()));
        Assert.Contains("nope.json", e.Message);
    }
}

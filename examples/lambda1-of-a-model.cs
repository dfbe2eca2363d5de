#!/usr/bin/env -S dotnet run
// λ1 of the default model's teacher-forced generation map on one sentence: k = 4 tangent directions of the KV cache,
// re-orthonormalised by QR every step (Benettin et al. 1980), measured by the same Core code that reproduces Hénon's λ1.
// Run from the repository root:  dotnet run examples/lambda1-of-a-model.cs
#:project ../src/TrajectoryLab.Experiments/TrajectoryLab.Experiments.csproj
using TrajectoryLab.Core.Lyapunov;
using TrajectoryLab.Experiments;
using TrajectoryLab.Experiments.Shared;
using TrajectoryLab.Torch.Dynamics;
using TrajectoryLab.Torch.Generation;

var source = ModelLocator.Resolve("default", null, ProjectPaths.Discover());
using var model = LanguageModel.Load(source);
var tokenizer = ModelPair.TokenizerOf(source, model.Spec.VocabSize);
var text = "The jury said it did find that many of the voters had been misled, and the election was held again in the fall.";
int[] tokens = [tokenizer.BosId!.Value, .. tokenizer.Encode(text)];

using var dynamics = TeacherForcedDynamics.Start(model, tokens, new TeacherForcedOptions { Layer = 0, Directions = 4, PromptLength = 4 });
var spectrum = LyapunovSpectrum.Compute(dynamics, new LyapunovSpectrumOptions(Transient: 4, Steps: tokens.Length - 9));
Console.WriteLine(spectrum.Succeeded
    ? FormattableString.Invariant($"λ1 = {spectrum.Exponents[0]:F4} nats/token over {spectrum.Time} tokens; spectrum {string.Join(", ", spectrum.Exponents.Select(l => l.ToString("F4", System.Globalization.CultureInfo.InvariantCulture)))}")
    : $"breakdown: {spectrum.Breakdown}");

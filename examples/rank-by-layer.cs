#!/usr/bin/env -S dotnet run
// Effective rank (Roy & Vetterli 2007) and token uniformity (Dong et al. 2021) of the residual stream of a prompt, layer
// by layer, under the default model: does depth collapse the tokens onto one direction?
// Run from the repository root:  dotnet run examples/rank-by-layer.cs -- "Your prompt here."
#:project ../src/TrajectoryLab.Experiments/TrajectoryLab.Experiments.csproj
using MathNet.Numerics.LinearAlgebra;
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Experiments;
using TrajectoryLab.Experiments.Shared;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

var prompt = args.Length > 0 ? args[0] : "The President of the United States said on Monday that the bill would be signed before the end of the month.";
var source = ModelLocator.Resolve("default", null, ProjectPaths.Discover());
using var model = LanguageModel.Load(source);
var tokenizer = ModelPair.TokenizerOf(source, model.Spec.VocabSize);
int[] tokens = [tokenizer.BosId!.Value, .. tokenizer.Encode(prompt)];

string[] sites = [HookNames.Embed, .. Enumerable.Range(0, model.Spec.NumLayers).Select(HookNames.ResidPost)];
using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 1, Capture = sites });
var captured = session.Prefill([tokens]).Activations;
Console.WriteLine($"{tokens.Length} tokens, d_model {model.Spec.HiddenSize}");
Console.WriteLine($"{"site",-26} {"effective rank",15} {"token uniformity",17}");
foreach (var site in sites)
{
    var a = captured[site]; // [pos, d_model] for the one row
    var x = Matrix<double>.Build.Dense(a.Shape[0], a.Shape[1], (i, j) => a.Rows[0][i * a.Shape[1] + j]);
    var rank = RankMeasures.Compute(x);
    var uniformity = TokenUniformity.Ratio(x);
    Console.WriteLine(FormattableString.Invariant($"{site,-26} {rank.EffectiveRank,15:F2} {uniformity.Value,17:F4}"));
}

#!/usr/bin/env -S dotnet run
// The entropy profile of a text under the default model: at every position, the entropy H_t of the next-token
// distribution (nats) and the surprisal of the token that actually follows. Pass your own text as the argument.
// Run from the repository root:  dotnet run examples/entropy-profile-of-a-text.cs -- "Your text here."
#:project ../src/TrajectoryLab.Experiments/TrajectoryLab.Experiments.csproj
using TrajectoryLab.Core.Metrics;
using TrajectoryLab.Experiments;
using TrajectoryLab.Experiments.Shared;
using TrajectoryLab.Torch.Generation;
using TrajectoryLab.Torch.Models;

var text = args.Length > 0 ? args[0] : "It was a cold morning and the river was frozen from one bank to the other.";
var source = ModelLocator.Resolve("default", null, ProjectPaths.Discover());
using var model = LanguageModel.Load(source);
var tokenizer = ModelPair.TokenizerOf(source, model.Spec.VocabSize);
int[] tokens = [tokenizer.BosId!.Value, .. tokenizer.Encode(text)];

// One prefill with the head at every position; hook_logits holds [pos, d_vocab] for the row.
using var session = model.StartSession(new GenerationOptions { MaxNewTokens = 1, PromptLogits = true, Capture = [HookNames.Logits] });
var logits = session.Prefill([tokens]).Activations[HookNames.Logits];
var vocabulary = logits.Shape[1];
Console.WriteLine($"{"token",-16} {"H (nats)",9} {"surprisal of next",18}");
for (var t = 0; t < tokens.Length; t++)
{
    var row = Array.ConvertAll(logits.Rows[0][(t * vocabulary)..((t + 1) * vocabulary)], v => (double)v);
    var stats = TokenEntropy.OfLogits(row);
    var next = t + 1 < tokens.Length ? FormattableString.Invariant($"{stats.LogPartition - row[tokens[t + 1]],18:F3}") : "";
    Console.WriteLine(FormattableString.Invariant($"{tokenizer.TokenText(tokens[t]).Replace("\n", "\\n"),-16} {stats.Entropy,9:F3} {next}"));
}

// What bench-decode measured: decode throughput per batch, the prefill, the machine's floors timed in the same run
// (call cost, bandwidth, matmul rate), the model's size and the process's peak memory (DecodeBenchmark), and the
// throughput of the other architectures compared with the Llama at the same sizes.
using TrajectoryLab.Torch.Bench;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>One decode benchmark run.</summary>
/// <param name="Benchmark">Everything <see cref="DecodeBenchmark.Run"/> measured on the Llama.</param>
/// <param name="Architectures">The comparison of <see cref="DecodeBenchOptions.Architectures"/> (<see cref="DecodeBenchmark.Compare"/>):
/// the Llama first, timed again in the same rounds as the others, then the others in the option's order; empty or null (a
/// result saved before the option existed) when only the Llama was asked for.</param>
public sealed record DecodeBenchResult(DecodeBenchmarkResult Benchmark, IReadOnlyList<ArchitectureThroughput>? Architectures = null);

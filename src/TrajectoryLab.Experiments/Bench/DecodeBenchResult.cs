// What bench-decode measured: decode throughput per batch, the prefill, the machine's floors timed in the same run
// (call cost, bandwidth, matmul rate), the model's size and the process's peak memory (DecodeBenchmark), and the
// throughput of the other architectures compared with the Llama at the same sizes.
using TrajectoryLab.Torch.Bench;

namespace TrajectoryLab.Experiments.Bench;

/// <summary>One decode benchmark run.</summary>
/// <param name="Benchmark">Everything <see cref="DecodeBenchmark.Run"/> measured on the Llama.</param>
/// <param name="Architectures">The other architectures of <see cref="DecodeBenchOptions.Architectures"/>, in its order
/// (<see cref="DecodeBenchmark.Throughput"/>); empty or null (a result saved before the option existed) for none.</param>
public sealed record DecodeBenchResult(DecodeBenchmarkResult Benchmark, IReadOnlyList<ArchitectureThroughput>? Architectures = null);

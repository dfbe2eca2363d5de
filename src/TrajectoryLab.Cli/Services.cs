// Service registration: commands, experiment kinds, paths. Adding an experiment kind is one line here.
using Microsoft.Extensions.DependencyInjection;
using TrajectoryLab.Cli.Commands;
using TrajectoryLab.Cli.Runs;
using TrajectoryLab.Cli.Sweeps.Bench;
using TrajectoryLab.Experiments.ArchitectureStability;
using TrajectoryLab.Experiments.AttentionDilution;
using TrajectoryLab.Experiments.AttentionSinks;
using TrajectoryLab.Experiments.Bench;
using TrajectoryLab.Experiments.Butterfly;
using TrajectoryLab.Experiments.CodeLength;
using TrajectoryLab.Experiments.DegenerationProtocol;
using TrajectoryLab.Experiments.Depth;
using TrajectoryLab.Experiments.DeviceAgreement;
using TrajectoryLab.Experiments.EntropyIdentities;
using TrajectoryLab.Experiments.EntropyProfile;
using TrajectoryLab.Experiments.EntropyRateDrift;
using TrajectoryLab.Experiments.FfnMemory;
using TrajectoryLab.Experiments.Generate;
using TrajectoryLab.Experiments.KnownSystems;
using TrajectoryLab.Experiments.Lens;
using TrajectoryLab.Experiments.LogisticSweep;
using TrajectoryLab.Experiments.LyapunovTeacherForced;
using TrajectoryLab.Experiments.RandomNetworkChaos;
using TrajectoryLab.Experiments.RankCollapse;
using TrajectoryLab.Experiments.RankCollapseDepth;
using TrajectoryLab.Experiments.RepetitionAttractors;
using TrajectoryLab.Experiments.Training;

namespace TrajectoryLab.Cli;

/// <summary>Registers everything the command line needs.</summary>
public static class Services
{
    /// <summary>Adds the commands, the experiment registry and the project paths.</summary>
    public static IServiceCollection AddTrajectoryLab(this IServiceCollection services)
    {
        services.AddSingleton(_ => ProjectPaths.Discover());
        services.AddSingleton(sp => new ExperimentCatalog(sp.GetRequiredService<ProjectPaths>().Experiments));
        services.AddSingleton<ExperimentRegistry>();
        services.AddSingleton<ExperimentRunner>();
        services.AddSingleton<CommandLine>();

        services.AddSingleton<ICommand, ListCommand>();
        services.AddSingleton<RunCommand>();
        services.AddSingleton<ICommand>(sp => sp.GetRequiredService<RunCommand>());
        services.AddSingleton<ICommand, BenchCommand>();
        services.AddSingleton<ICommand, ReportCommand>();
        services.AddSingleton<ICommand, CorpusCommand>();
        services.AddSingleton<ICommand, CheckCommand>();
        services.AddSingleton<ICommand, SweepCommand>();
        services.AddSingleton<ICommand, CompressCommand>();
        services.AddSingleton<ICommand, DecompressCommand>();

        services.AddSingleton<IExperiment, KnownSystemSpectrumExperiment>();
        services.AddSingleton<IExperiment, LogisticSweepExperiment>();
        services.AddSingleton<IExperiment, ArchitectureStabilityExperiment>();
        services.AddSingleton<IExperiment, RandomNetworkChaosExperiment>();
        services.AddSingleton<IExperiment, EntropyIdentitiesExperiment>();
        services.AddSingleton<IExperiment, DecodeBenchExperiment>();
        services.AddSingleton<IExperiment, SpectrumBenchExperiment>();
        services.AddSingleton<IExperiment, SweepScaleBenchExperiment>();
        services.AddSingleton<IExperiment, GpuBenchExperiment>();
        services.AddSingleton<IExperiment, TrainExperiment>();
        services.AddSingleton<IExperiment, GenerateExperiment>();
        services.AddSingleton<IExperiment, DeviceAgreementExperiment>();
        services.AddSingleton<IExperiment, ButterflyExperiment>();
        services.AddSingleton<IExperiment, DepthDynamicsExperiment>();
        services.AddSingleton<IExperiment, LyapunovTeacherForcedExperiment>();
        services.AddSingleton<IExperiment, RepetitionAttractorsExperiment>();
        services.AddSingleton<IExperiment, RankCollapseExperiment>();
        services.AddSingleton<IExperiment, RankCollapseDepthExperiment>();
        services.AddSingleton<IExperiment, AttentionSinksExperiment>();
        services.AddSingleton<IExperiment, DegenerationProtocolExperiment>();
        services.AddSingleton<IExperiment, LensExperiment>();
        services.AddSingleton<IExperiment, AttentionDilutionExperiment>();
        services.AddSingleton<IExperiment, EntropyProfileExperiment>();
        services.AddSingleton<IExperiment, CodeLengthExperiment>();
        services.AddSingleton<IExperiment, FfnMemoryExperiment>();
        services.AddSingleton<IExperiment, EntropyRateDriftExperiment>();
        return services;
    }
}

// trajectorylab: the experiment host. Parses the verb, builds the generic host (logging, services, experiment
// registry) and runs the command synchronously; Ctrl-C / SIGTERM cancel it cleanly.
using System.Globalization;
using System.Runtime.InteropServices;
using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Hosting;
using Microsoft.Extensions.Logging;
using Microsoft.Extensions.Logging.Console;
using TrajectoryLab.Cli;
using TrajectoryLab.Cli.Commands;

// Every number this tool prints or writes is invariant; this also covers messages formatted by libraries.
CultureInfo.DefaultThreadCurrentCulture = CultureInfo.DefaultThreadCurrentUICulture = CultureInfo.InvariantCulture;
CultureInfo.CurrentCulture = CultureInfo.CurrentUICulture = CultureInfo.InvariantCulture;
if (!TrajectoryLab.Torch.Native.LibTorchLoader.TryLoadFromEnvironment(Console.Error))
    return ExitCodes.Failed; // TRAJECTORYLAB_LIBTORCH, before any TorchSharp call

var builder = Host.CreateApplicationBuilder(new HostApplicationBuilderSettings { DisableDefaults = true });
builder.Logging.AddSimpleConsole(o =>
{
    o.SingleLine = true;
    o.TimestampFormat = "HH:mm:ss ";
    o.UseUtcTimestamp = true;
});
builder.Services.Configure<ConsoleLoggerOptions>(o => o.LogToStandardErrorThreshold = LogLevel.Trace); // stdout stays for results
builder.Logging.SetMinimumLevel(
    Environment.GetEnvironmentVariable("TRAJECTORYLAB_LOG") is { } level && Enum.TryParse<LogLevel>(level, true, out var parsed)
        ? parsed
        : LogLevel.Information
);
builder.Services.AddTrajectoryLab();
using var host = builder.Build();

using var cancellation = new CancellationTokenSource();
Console.CancelKeyPress += (_, e) =>
{
    e.Cancel = true; // let the run stop at its next step and finish its files
    cancellation.Cancel();
};
using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, c =>
{
    c.Cancel = true;
    cancellation.Cancel();
});

return host.Services.GetRequiredService<CommandLine>().Execute(args, cancellation.Token);

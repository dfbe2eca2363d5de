using System.Globalization;
using TrajectoryLab.Cli.Runs;

namespace TrajectoryLab.Cli.Tests;

public sealed class ProgressReporterTests
{
    [Fact]
    public void TheLineShowsStepsRateAndEtaInvariantly()
    {
        var previous = CultureInfo.CurrentCulture;
        CultureInfo.CurrentCulture = new CultureInfo("de-DE");
        try
        {
            using var progress = new ProgressReporter("QR", 1000, enabled: false);
            Assert.Equal("QR 250/1000 (25.0%) 125/s ETA 00:00:06", progress.Line(250, 1000, 2.0));
        }
        finally
        {
            CultureInfo.CurrentCulture = previous;
        }
    }
}

// squeue parsing on lines captured from slurm-wlm 22.05.8 (tests/slurm/cluster.sh): one line per array task with
// -r, the pending-range form without it, a job that is not an array, and malformed lines.
using TrajectoryLab.Cli.Sweeps.Slurm;

namespace TrajectoryLab.Cli.Tests.Slurm;

public sealed class SqueueOutputTests
{
    [Fact]
    public void OneLinePerTask()
    {
        var tasks = SqueueOutput.Parse("1_2|PENDING|JobArrayTaskLimit\n1_1|RUNNING|None\n1_0|CANCELLED|None\n");
        Assert.Equal([("1", 2, "PENDING"), ("1", 1, "RUNNING"), ("1", 0, "CANCELLED")],
            tasks.Select(t => (t.JobId, t.ArrayIndex!.Value, t.State)));
        Assert.Equal("JobArrayTaskLimit", tasks[0].Reason);
        Assert.Equal([true, true, false], tasks.Select(t => t.IsActive));
    }

    [Fact]
    public void ThePendingRangeFormIsExpanded()
    {
        var tasks = SqueueOutput.Parse("12_[2,4-7%2]|PENDING|JobArrayTaskLimit\n12_0|RUNNING|None");
        Assert.Equal([2, 4, 5, 6, 7, 0], tasks.Select(t => t.ArrayIndex!.Value));
        Assert.All(tasks, t => Assert.Equal("12", t.JobId));
    }

    [Fact]
    public void StepsInARangeAreFollowed() =>
        Assert.Equal([1, 3, 5, 7, 9], SqueueOutput.ExpandIndices("[1-9:2]", "x"));

    [Fact]
    public void AJobThatIsNotAnArrayHasNoIndex()
    {
        var task = Assert.Single(SqueueOutput.Parse("  345|COMPLETED|None  \n\n"));
        Assert.Null(task.ArrayIndex);
        Assert.False(task.IsActive);
    }

    [Fact]
    public void AReasonMayContainTheSeparator() =>
        Assert.Equal("a|b", Assert.Single(SqueueOutput.Parse("3_1|PENDING|a|b")).Reason);

    [Theory]
    [InlineData("1_0 RUNNING None")]
    [InlineData("x_0|RUNNING|None")]
    [InlineData("1_a|RUNNING|None")]
    [InlineData("1_[3-1]|PENDING|None")]
    [InlineData("1_[0-3|PENDING|None")]
    [InlineData("1_0||None")]
    public void AMalformedLineIsQuoted(string line) =>
        Assert.Contains(line.Split('|')[0], Assert.Throws<FormatException>(() => SqueueOutput.Parse(line)).Message);

    [Theory]
    [InlineData("PENDING", true)]
    [InlineData("CONFIGURING", true)]
    [InlineData("COMPLETING", true)]
    [InlineData("COMPLETED", false)]
    [InlineData("FAILED", false)]
    [InlineData("TIMEOUT", false)]
    [InlineData("OUT_OF_MEMORY", false)]
    public void ActiveStates(string state, bool active) => Assert.Equal(active, new SlurmTaskState("1", 0, state, "None").IsActive);
}

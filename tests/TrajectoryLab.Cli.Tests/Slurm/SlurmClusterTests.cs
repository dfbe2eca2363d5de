// Job arrays on the real test cluster, through SbatchScript and SlurmClient: a 4-task array whose tasks each write
// their index, an 8-task array where one running task is cancelled while the others live on, and a GPU array
// on the cluster's two stand-in GPUs (each task gets its own CUDA_VISIBLE_DEVICES).
using TrajectoryLab.Cli.Sweeps.Slurm;
using Xunit.Abstractions;

namespace TrajectoryLab.Cli.Tests.Slurm;

[Collection(SlurmClusterCollection.Name)]
public sealed class SlurmClusterTests(SlurmClusterFixture cluster, ITestOutputHelper output) : IDisposable
{
    static readonly TimeSpan Poll = TimeSpan.FromMilliseconds(200);
    readonly string folder = Path.Combine(Path.GetTempPath(), "tl-slurm-" + Guid.NewGuid().ToString("N"));

    [SlurmFact]
    public void AFourTaskArrayRunsEveryIndex()
    {
        var client = new SlurmClient(cluster.RequireCluster());
        output.WriteLine(cluster.StartLog);
        var work = Path.Combine(folder, "work dir 'quoted'"); // the script must quote the working directory for bash
        Directory.CreateDirectory(Path.Combine(work, "out"));
        var script = Path.Combine(folder, "array.sbatch");
        SbatchScript.Write(script, 4, new SlurmOptions(JobName: "tl-four"),
            ["/bin/sh", "-c", "echo \"task $SLURM_ARRAY_TASK_ID\" > \"out/$1\"", "sh", "{index}"], Path.Combine(folder, "logs"), work);

        var job = client.Submit(script);
        Assert.True(client.WaitUntilDone(job, TimeSpan.FromSeconds(30), Poll), $"job {job} did not finish within 30 s");

        var tasks = client.Tasks(job);
        Assert.Equal([0, 1, 2, 3], tasks.Select(t => t.ArrayIndex!.Value).Order());
        Assert.All(tasks, t => Assert.Equal("COMPLETED", t.State));
        for (var i = 0; i < 4; i++)
            Assert.Equal($"task {i}\n", File.ReadAllText(Path.Combine(work, "out", i.ToString(System.Globalization.CultureInfo.InvariantCulture))));
        Assert.Equal(4, Directory.GetFiles(Path.Combine(folder, "logs"), $"{job}_*.out").Length);
    }

    [SlurmFact]
    public void CancellingOneRunningTaskLeavesTheOthers()
    {
        var client = new SlurmClient(cluster.RequireCluster());
        Directory.CreateDirectory(folder);
        var script = Path.Combine(folder, "sleep.sbatch");
        // tasks 0-2 end at once, so task 3 is soon running (the node has few CPUs); the others sleep
        SbatchScript.Write(script, 8, new SlurmOptions(JobName: "tl-cancel"),
            ["/bin/sh", "-c", "[ \"$1\" -lt 3 ] || sleep 30", "sh", "{index}"], Path.Combine(folder, "logs"), folder);
        var job = client.Submit(script);
        try
        {
            Assert.True(PollUntil(() => State(client, job, 3) == "RUNNING", TimeSpan.FromSeconds(20)), $"task 3 of job {job} never ran");
            client.Cancel(job, 3);
            Assert.True(PollUntil(() => State(client, job, 3) == "CANCELLED", TimeSpan.FromSeconds(10)), $"task 3 of job {job} is not CANCELLED");

            var tasks = client.Tasks(job);
            Assert.Equal(Enumerable.Range(0, 8), tasks.Select(t => t.ArrayIndex!.Value).Order());
            Assert.All(tasks.Where(t => t.ArrayIndex < 3), t => Assert.Equal("COMPLETED", t.State));
            Assert.All(tasks.Where(t => t.ArrayIndex > 3), t => Assert.True(t.IsActive, $"task {t.ArrayIndex} is {t.State}"));
        }
        finally
        {
            client.Cancel(job);
        }
        Assert.True(client.WaitUntilDone(job, TimeSpan.FromSeconds(15), Poll), $"job {job} still has active tasks after scancel");
        Assert.DoesNotContain(client.Tasks(job), t => t.IsActive);
    }

    [SlurmFact]
    public void EachGpuTaskGetsItsOwnDevice()
    {
        var client = new SlurmClient(cluster.RequireCluster());
        Directory.CreateDirectory(Path.Combine(folder, "out"));
        var script = Path.Combine(folder, "gpu.sbatch");
        SbatchScript.Write(script, 2, new SlurmOptions(JobName: "tl-gpu", GpusPerTask: 1, Time: "1:00"),
            ["/bin/sh", "-c", "echo \"$CUDA_VISIBLE_DEVICES\" > out/$1", "sh", "{index}"], Path.Combine(folder, "logs"), folder);
        var job = client.Submit(script);
        Assert.True(client.WaitUntilDone(job, TimeSpan.FromSeconds(30), Poll), $"job {job} did not finish within 30 s");
        Assert.All(client.Tasks(job), t => Assert.Equal("COMPLETED", t.State));
        var devices = Enumerable.Range(0, 2).Select(i => File.ReadAllText(Path.Combine(folder, "out", i.ToString(System.Globalization.CultureInfo.InvariantCulture))).Trim()).ToList();
        Assert.All(devices, d => Assert.Matches("^[01]$", d)); // one stand-in GPU each
    }

    [SlurmFact]
    public void AFailedSubmissionNamesTheCommandAndSlurmsError()
    {
        var client = new SlurmClient(cluster.RequireCluster());
        Directory.CreateDirectory(folder);
        var script = Path.Combine(folder, "bad.sbatch");
        File.WriteAllText(script, "#!/bin/bash\n#SBATCH --time=bogus\ntrue\n");
        var e = Assert.Throws<SlurmException>(() => client.Submit(script));
        Assert.Contains("sbatch --parsable", e.Message);
        Assert.Contains("Invalid --time specification", e.Message);
    }

    static string? State(SlurmClient client, string job, int index) =>
        client.Tasks(job).SingleOrDefault(t => t.ArrayIndex == index)?.State;

    static bool PollUntil(Func<bool> condition, TimeSpan timeout)
    {
        var clock = System.Diagnostics.Stopwatch.StartNew();
        while (!condition())
        {
            if (clock.Elapsed > timeout) return false;
            Thread.Sleep(Poll);
        }
        return true;
    }

    public void Dispose()
    {
        if (Directory.Exists(folder)) Directory.Delete(folder, recursive: true);
    }
}

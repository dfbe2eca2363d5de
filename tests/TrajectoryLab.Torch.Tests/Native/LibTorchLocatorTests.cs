// Tests of LibTorchLocator's pure rules: which libtorch files are loaded, in which order, and the error messages for a
// missing folder, a missing library, a missing shim and a loader failure. Nothing is loaded into the test process
// (TorchSharp's libtorch is already there); the file system is a set of paths.
using TrajectoryLab.Torch.Native;

namespace TrajectoryLab.Torch.Tests.Native;

public class LibTorchLocatorTests
{
    private const string Lib = "/opt/torch/lib";
    private const string App = "/opt/app";

    private static LibTorchPlan PlanWith(params string[] files)
    {
        var set = files.Select(f => f.Contains('/') ? f : Path.Combine(Lib, f)).Append(Path.Combine(App, LibTorchLocator.ShimFileName)).ToHashSet();
        return LibTorchLocator.Plan(Lib, App, d => d == Lib, set.Contains);
    }

    [Fact]
    public void CpuFolderLoadsC10ThenTorchCpuThenTorchThenTheShim()
    {
        var plan = PlanWith("libtorch.so", "libtorch_cpu.so", "libc10.so", "libshm.so");
        Assert.Equal(["libc10.so", "libtorch_cpu.so", "libtorch.so"], plan.Libraries.Select(Path.GetFileName));
        Assert.Equal(Path.Combine(App, "libLibTorchSharp.so"), plan.Shim);
        Assert.False(plan.HasCuda);
    }

    [Fact]
    public void CudaFolderPutsEachCudaLibraryAfterItsCpuDependency()
    {
        var plan = PlanWith("libtorch.so", "libtorch_cpu.so", "libc10.so", "libtorch_cuda.so", "libc10_cuda.so");
        Assert.Equal(["libc10.so", "libc10_cuda.so", "libtorch_cpu.so", "libtorch_cuda.so", "libtorch.so"], plan.Libraries.Select(Path.GetFileName));
        Assert.True(plan.HasCuda);
        Assert.All(plan.Libraries, p => Assert.StartsWith(Lib + "/", p));
    }

    [Fact]
    public void MissingTorchCpuNamesTheFileTheFolderAndTheVariable()
    {
        var e = Assert.Throws<LibTorchLoadException>(() => PlanWith("libtorch.so", "libc10.so"));
        Assert.Contains("libtorch_cpu.so is missing in /opt/torch/lib", e.Message);
        Assert.StartsWith("TRAJECTORYLAB_LIBTORCH=/opt/torch/lib:", e.Message);
        Assert.DoesNotContain("libc10.so,", e.Message.Split("needs")[0]);
    }

    [Fact]
    public void SeveralMissingLibrariesAreAllNamed()
    {
        var e = Assert.Throws<LibTorchLoadException>(() => PlanWith("libtorch.so"));
        Assert.Contains("libc10.so, libtorch_cpu.so are missing", e.Message);
    }

    [Fact]
    public void MissingFolderAndEmptyVariableAreReported()
    {
        var e = Assert.Throws<LibTorchLoadException>(() => LibTorchLocator.Plan("/nowhere", App, _ => false, _ => true));
        Assert.Contains("the folder /nowhere does not exist", e.Message);
        var empty = Assert.Throws<LibTorchLoadException>(() => LibTorchLocator.Plan(" ", App, _ => true, _ => true));
        Assert.Contains("TRAJECTORYLAB_LIBTORCH is set but empty", empty.Message);
    }

    [Fact]
    public void MissingShimNamesTheApplicationFolder()
    {
        var files = new HashSet<string> { "libc10.so", "libtorch_cpu.so", "libtorch.so" }.Select(f => Path.Combine(Lib, f)).ToHashSet();
        var e = Assert.Throws<LibTorchLoadException>(() => LibTorchLocator.Plan(Lib, App, _ => true, files.Contains));
        Assert.Contains("libLibTorchSharp.so is missing in the application folder /opt/app", e.Message);
    }

    [Fact]
    public void UndefinedSymbolFailureNamesTheSymbolAndTheShimsLibTorchVersion()
    {
        const string error = "Unable to load shared library '/opt/app/libLibTorchSharp.so' or one of its dependencies. " +
                             "In order to help diagnose loading problems, consider using a tool like strace.\n" +
                             "/opt/app/libLibTorchSharp.so: undefined symbol: _ZN2at4_ops3addC1Ev\n";
        Assert.Equal("_ZN2at4_ops3addC1Ev", LibTorchLocator.MissingSymbol(error));
        var message = LibTorchLocator.DescribeLoadFailure(Lib, "/opt/app/libLibTorchSharp.so", error);
        Assert.Contains("TRAJECTORYLAB_LIBTORCH=/opt/torch/lib: loading libLibTorchSharp.so", message);
        Assert.Contains("undefined symbol _ZN2at4_ops3addC1Ev", message);
        Assert.Contains("built for libtorch 2.10", message);
        Assert.EndsWith("Loader: /opt/app/libLibTorchSharp.so: undefined symbol: _ZN2at4_ops3addC1Ev", message); // .NET's advice dropped
    }

    [Fact]
    public void VersionNotFoundAndOtherFailuresAreDescribed()
    {
        const string error = "/opt/app/libLibTorchSharp.so: /lib/x86_64-linux-gnu/libstdc++.so.6: version `GLIBCXX_3.4.32' not found";
        Assert.Null(LibTorchLocator.MissingSymbol(error));
        Assert.Equal("GLIBCXX_3.4.32", LibTorchLocator.MissingVersion(error));
        Assert.Contains("lacks symbol version GLIBCXX_3.4.32", LibTorchLocator.DescribeLoadFailure(Lib, Lib + "/libc10.so", error));
        var other = LibTorchLocator.DescribeLoadFailure(Lib, Lib + "/libc10.so", "file too short");
        Assert.EndsWith("loading libc10.so (/opt/torch/lib/libc10.so) failed: file too short", other);
    }

    [Fact]
    public void TorchVersionIsReadFromVersionPy()
    {
        Assert.Equal("2.11.0+cu130", LibTorchLocator.TorchVersion("from typing import Optional\n__version__ = '2.11.0+cu130'\ncuda = '13.0'\n"));
        Assert.Null(LibTorchLocator.TorchVersion("cuda = '13.0'"));
        Assert.Null(LibTorchLocator.TorchVersion(null));
    }

    [Fact]
    public void MissingVariableMessageNamesTheVariableAndHowToSetIt()
    {
        var message = LibTorchLocator.MissingVariableMessage(App);
        Assert.Contains("TorchBackend=external", message);
        Assert.Contains("export TRAJECTORYLAB_LIBTORCH=", message);
        Assert.Contains("import torch", message);
    }

    [Fact]
    public void DefaultBuildIsStampedWithItsBackend()
    {
        // The test build uses the default backend; the stamp is what tells the loader libtorch is bundled.
        Assert.Equal("cpu", LibTorchLoader.Backend);
    }
}

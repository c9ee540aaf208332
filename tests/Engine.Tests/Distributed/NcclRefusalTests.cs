using Engine.Distributed;
using Engine.Tests.Infrastructure;

namespace Engine.Tests.Distributed;

/// <summary>
/// NCCL is loaded only when a run asks for it (<c>--backend nccl</c>), and its absence is one
/// line that names what is missing and how to get it, before any data or device is touched; a
/// library that is not NCCL is named as such.
/// </summary>
[Collection(DeviceCollection.Name)]
[DeviceIndependent("NCCL is refused before the data, the model or the device is touched")]
public sealed class NcclRefusalTests(DeviceFixture fixture) : IDisposable
{
    private const int ErrorReportFailure = 1; // a settings error found while running: rank 0 reports it and ends the launch with MPI_Abort(1)

    private readonly string _folder = Directory.CreateTempSubdirectory("engine-nccl-").FullName;

    public void Dispose() => Directory.Delete(_folder, recursive: true);

    [Fact]
    public void AMissingLibraryIsNamedWithHowToGetIt()
    {
        var missing = Assert.Throws<CommunicatorException>(() => NcclLibrary.Load(null, ["libnccl-absent.so.2", "libnccl-absent.so"]));
        Assert.Equal("NCCL was not found (libnccl-absent.so.2, libnccl-absent.so); install it (NVIDIA's CUDA repository: apt-get install libnccl2; " +
            "or pip install nvidia-nccl-cu12) and set ENGINE_NCCL_LIBRARY to its libnccl.so.2 when it is not on the loader's path.", missing.Message);

        var named = Assert.Throws<CommunicatorException>(() => NcclLibrary.Load("/nonexistent/libnccl.so.2", NcclLibrary.Candidates));
        Assert.StartsWith("ENGINE_NCCL_LIBRARY names '/nonexistent/libnccl.so.2', which cannot be loaded; point it at NCCL 2's libnccl.so.2", named.Message);

        var notNccl = Assert.Throws<CommunicatorException>(() => NcclLibrary.Load("libc.so.6", NcclLibrary.Candidates));
        Assert.Equal("'libc.so.6' has no ncclGetVersion: it is not NCCL 2.", notNccl.Message);
    }

    [Fact]
    public void TrainWithNcclWhereThereIsNoneStopsWithOneLine()
    {
        string run = Path.Combine(_folder, "run");
        string[] args = ["train", "resnet", "--epochs", "1", "--limit", "64", "--batch-size", "16", "--base-width", "4", "--plain",
            "--device", fixture.Spec.ToString(), "--backend", "nccl", "-o", run];
        using var ranks = MpiLaunch.Start(_folder, Guid.NewGuid().ToString("N"), new() { [NcclLibrary.LibraryVariable] = "/nonexistent/libnccl.so.2" }, args, args);
        var (code, output, errors) = ranks.WaitForExit(TimeSpan.FromMinutes(5));
        Assert.True(code == ErrorReportFailure, $"exit code {code}: {errors}");
        var lines = errors.Split('\n').Where(l => l.StartsWith("error: ", StringComparison.Ordinal)).ToList();
        Assert.Single(lines);
        Assert.StartsWith("error: --backend nccl: ENGINE_NCCL_LIBRARY names '/nonexistent/libnccl.so.2', which cannot be loaded; point it at NCCL 2's libnccl.so.2 " +
            "(NVIDIA's CUDA repository: apt-get install libnccl2; or pip install nvidia-nccl-cu12)", lines[0]);
        Assert.DoesNotContain("train resnet:", output); // refused before the data, the model and the device
        Assert.False(File.Exists(Path.Combine(run, "last.safetensors")));
    }

    [Theory]
    [InlineData("nccl", "error: --backend chooses how the ranks of a data-parallel run exchange (under mpiexec, or with --distributed); this run has none.")]
    [InlineData("gloo", "error: --backend must be one of mpi, nccl, got 'gloo'.")]
    public void ABackendWithoutRanksOrUnknownIsOneLine(string backend, string message)
    {
        string run = Path.Combine(_folder, "run");
        using var process = CliProcess.Start(_folder, "train", "resnet", "--epochs", "1", "--limit", "64", "--batch-size", "16", "--base-width", "4",
            "--plain", "--device", fixture.Spec.ToString(), "--backend", backend, "-o", run);
        var (code, output, errors) = process.WaitForExit(TimeSpan.FromMinutes(2));
        Assert.Equal(ErrorReportFailure, code);
        Assert.Equal(message, errors.Trim());
        Assert.DoesNotContain("train resnet:", output);
    }
}

using Engine.Data;
using Engine.Devices;
using Engine.Models;
using Engine.Tests.Infrastructure;
using Engine.Training;

namespace Engine.Tests.Training;

/// <summary>
/// The memory plan is the memory: for every model of the factory, at two sizes, a run (two steps
/// and an evaluation, on a device of the suite's kind opened for the test) with the plan made
/// before anything was allocated as its memory limit succeeds, its allocations never rise above
/// the plan, and the plan is not far above them.
/// </summary>
[Collection(DeviceCollection.Name)]
[BackendIndependent("a plan counts what the execution path allocates; OpenCL devices without a GPU take the CPU accelerator's kernel path, which stage 2 checks")]
public sealed class MemoryPlanTests(DeviceFixture fixture, ITestOutputHelper log)
{
    /// <summary>How far the plan may lie above the measured peak: it counts the largest of the workspaces that are never live together, and the host path's power-of-two workspaces whole.</summary>
    internal const double MostOverPlan = 1.6;

    /// <summary>Every model of the factory (the light configurations train uses), at a small and a larger size.</summary>
    public static TheoryData<string, int, int> Cases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (string name in ModelFactory.Names)
        {
            int small = Classifies(name) ? 32 : name is "vae" || name.StartsWith("ae-", StringComparison.Ordinal) ? 28 : 32;
            data.Add(name, small, 4);
            data.Add(name, 2 * small, 2);
        }
        return data;
    }

    [Theory]
    [MemberData(nameof(Cases))]
    public void TheDevicePeakStaysWithinThePlan(string name, int size, int batch)
    {
        using var device = ComputeDevice.Open(fixture.Spec);
        var (plan, peak) = Measure(device, name, size, batch);
        log.WriteLine($"{name} {size}x{size} batch {batch} on {device.Info.Spec}: plan {ByteSize.MiB(plan.DeviceBytes)} ({plan}), allocator peak {ByteSize.MiB(peak)} ({(double)peak / plan.DeviceBytes:P1} of the plan)");
        Assert.True(peak <= plan.DeviceBytes, $"{name} {size}: the device held {peak} bytes at its peak, more than the {plan.DeviceBytes} planned ({plan})");
        Assert.True(plan.DeviceBytes <= MostOverPlan * peak, $"{name} {size}: the plan ({plan.DeviceBytes} bytes: {plan}) is more than {MostOverPlan}x the peak {peak}");
    }

    /// <summary>The case a process of its own measures (<c>"name size batch"</c>), and where it writes what it measured.</summary>
    private const string ResidentCaseVariable = "ENGINETEST_RESIDENT_CASE", ResidentReportVariable = "ENGINETEST_RESIDENT_REPORT";

    /// <summary>
    /// How far the resident high-water may rise above the plan's total (device and host): 10% and
    /// 64 MiB. Not in the plan, and measured at 8 to 24 MiB: the runtime's own growth (the managed
    /// heap's garbage before a collection, JIT-compiled code) and the host GEMM's packing buffers.
    /// </summary>
    internal const double ResidentMargin = 1.10;
    internal const long ResidentSlack = 64L << 20;

    /// <summary>Every model of the factory at a size whose plan is a hundred MiB or more.</summary>
    public static TheoryData<string, int, int> ResidentCases()
    {
        var data = new TheoryData<string, int, int>();
        foreach (string name in ModelFactory.Names)
        {
            if (name is "vae" || name.StartsWith("ae-", StringComparison.Ordinal))
                data.Add(name, 112, 32);
            else if (Classifies(name))
                data.Add(name, 224, 8);
            else
                data.Add(name, 256, 4);
        }
        return data;
    }

    /// <summary>
    /// On the CPU accelerator, whose device memory is the process's: the resident high-water mark
    /// of a run (two steps and an evaluation) above what the process held before it stays within
    /// <see cref="ResidentMargin"/> of the plan's total plus <see cref="ResidentSlack"/>. Each case
    /// runs in a process of its own (this test, run again with <see cref="ResidentCaseVariable"/>
    /// naming it): the tests beside it would share the measure.
    /// </summary>
    [Theory]
    [MemberData(nameof(ResidentCases))]
    public void TheResidentPeakOfARunStaysWithinThePlan(string name, int size, int batch)
    {
        string self = $"{name} {size} {batch}";
        if (Environment.GetEnvironmentVariable(ResidentCaseVariable) is string measured)
        {
            // The measuring process: the one case it was started for (the others are measured by processes of their own).
            if (measured == self)
                MeasureResident(name, size, batch, Environment.GetEnvironmentVariable(ResidentReportVariable)!);
            return;
        }
        string report = Path.Combine(Path.GetTempPath(), $"engine-resident-{Guid.NewGuid():N}.txt");
        try
        {
            using var process = CliProcess.StartTests(Path.GetTempPath(), new() { [ResidentCaseVariable] = self, [ResidentReportVariable] = report, ["ENGINE_DEVICE"] = "cpu", ["ENGINE_HOST_PATH"] = "1" },
                "-method", $"{typeof(MemoryPlanTests).FullName}.{nameof(TheResidentPeakOfARunStaysWithinThePlan)}", "-noLogo", "-noColor");
            var (code, output, errors) = process.WaitForExit(TimeSpan.FromMinutes(5));
            Assert.True(code == 0 && File.Exists(report), $"the measuring process exited {code}:\n{output}\n{errors}");
            long[] numbers = File.ReadAllText(report).Split(' ').Select(long.Parse).ToArray();
            var plan = new StepMemory(numbers[0], numbers[1], numbers[2], numbers[3]);
            long resident = numbers[4];
            log.WriteLine($"{name} {size}x{size} batch {batch} on the CPU accelerator: plan {ByteSize.MiB(plan.TotalBytes)} ({plan}, {ByteSize.MiB(plan.Host)} on the host), " +
                $"resident peak above the start {ByteSize.MiB(resident)} ({(double)resident / plan.TotalBytes:P0} of the plan)");
            Assert.True(resident <= ResidentMargin * plan.TotalBytes + ResidentSlack,
                $"{name} {size}: the process rose {ByteSize.MiB(resident)} above its start, beyond {ResidentMargin} x the plan's {ByteSize.MiB(plan.TotalBytes)} + {ByteSize.MiB(ResidentSlack)}");
        }
        finally
        {
            File.Delete(report);
        }
    }

    /// <summary>In the measuring process: the resident high-water mark of one run above the resident set before it (Linux: clear_refs resets the mark).</summary>
    private static void MeasureResident(string name, int size, int batch, string report)
    {
        using var device = ComputeDevice.Open("cpu");
        var (train, test) = Data(name, size, batch);
        GC.Collect();
        GC.WaitForPendingFinalizers();
        GC.Collect();
        long before = Status("VmRSS");
        File.WriteAllText("/proc/self/clear_refs", "5");
        var (plan, _) = Measure(device, name, size, batch, (train, test));
        long peak = Status("VmHWM");
        File.WriteAllText(report, $"{plan.Weights} {plan.Activations} {plan.Workspace} {plan.Host} {peak - before}");
    }

    private static long Status(string field) =>
        long.Parse(File.ReadLines("/proc/self/status").First(l => l.StartsWith(field + ":", StringComparison.Ordinal)).Split(' ', StringSplitOptions.RemoveEmptyEntries)[1]) * 1024;

    /// <summary>Trains <paramref name="name"/> for two steps and evaluates it; returns the plan and the device allocator's high-water mark.</summary>
    internal static (StepMemory Plan, long Peak) Measure(ComputeDevice device, string name, int size, int batch, (ImageDataset Train, ImageDataset Test)? data = null)
    {
        var options = Options(name, size);
        var (train, test) = data ?? Data(name, size, batch);
        var model = ModelFactory.Create(options);
        using TrainingTask task = name switch
        {
            "vae" => new VaeTask((Vae)model, device, 1),
            _ when name.StartsWith("ae-", StringComparison.Ordinal) => new AutoencoderTask((Autoencoder)model, device, null, Engine.Ops.Random.NoiseKind.Gaussian, 0.3f, 1),
            _ when Classifies(name) => new ClassificationTask(model, device),
            _ => new SegmentationTask(model, device, options.Classes),
        };
        try
        {
            device.ResetPeakLiveBytes();
            var trainer = new Trainer(task, new TrainingOptions { Epochs = 1, BatchSize = batch, LearningRate = 1e-4f }) { ModelOptions = options };
            // The plan, made before anything is allocated, is the device's limit: the run holds within it
            // (the caching allocator gives its cache back rather than go beyond) or fails here.
            var plan = trainer.PlanMemory(train, test);
            device.MemoryLimit = plan.DeviceBytes;
            using var session = trainer.Prepare(train, test);
            Assert.Equal(plan, session.Memory);
            session.Run();
            return (plan, device.PeakLiveBytes);
        }
        finally
        {
            model.Release();
        }
    }

    // The classifiers (labels, ClassificationTask): ResNet and SppNet.
    private static bool Classifies(string name) => name.StartsWith("resnet", StringComparison.Ordinal) || name == "sppnet";

    /// <summary>The light configurations of train (segmenters of 3 classes, one input channel).</summary>
    internal static ModelOptions Options(string name, int size) => name switch
    {
        "unet" => new ModelOptions("unet", 3, 1, Padded: true, BaseWidth: 8, ImageSize: size, Depth: 4, BatchNorm: true),
        "fcn32s" or "fcn16s" or "fcn8s" => new ModelOptions(name, 3, 1, Padded: true, BaseWidth: 8, ImageSize: size, BatchNorm: true, HeadChannels: 128),
        "deeplabv3" => new ModelOptions("deeplabv3", 3, 1, BaseWidth: 8, ImageSize: size, HeadChannels: 64, AtrousRate: 3, OutputStride: 8),
        "pspnet" => new ModelOptions("pspnet", 3, 1, BaseWidth: 8, ImageSize: size, HeadChannels: 64, OutputStride: 8),
        "segnet" => new ModelOptions("segnet", 3, 1, BaseWidth: 8, ImageSize: size, Depth: 4),
        "deconvnet" => new ModelOptions("deconvnet", 3, 1, BaseWidth: 8, ImageSize: size, Depth: 4, HeadChannels: 128),
        "vae" => new ModelOptions("vae", 0, 1, ImageSize: size, Latent: 20),
        _ when name.StartsWith("ae-", StringComparison.Ordinal) => new ModelOptions(name, 0, 1, ImageSize: size, Latent: 32),
        _ => new ModelOptions(name, 10, 1, SmallStem: size <= 32, BaseWidth: 8, ImageSize: size),
    };

    /// <summary>Two batches to train on and three to evaluate, of the kind the model takes (labels, masks or none).</summary>
    internal static (ImageDataset Train, ImageDataset Test) Data(string name, int size, int batch)
    {
        ImageDataset Make(int count, int seed)
        {
            var random = new Random(seed);
            var images = new float[count * size * size];
            for (int i = 0; i < images.Length; i++)
                images[i] = (float)random.NextDouble();
            if (name is "vae" || name.StartsWith("ae-", StringComparison.Ordinal))
                return new ImageDataset(images, count, 1, size, size);
            if (Classifies(name))
                return new ImageDataset(images, count, 1, size, size, 10, labels: Enumerable.Range(0, count).Select(i => i % 10).ToArray());
            return new ImageDataset(images, count, 1, size, size, 3, masks: Enumerable.Range(0, count * size * size).Select(i => i * 7 % 3).ToArray());
        }
        return (Make(2 * batch, 1), Make(3 * batch, 2));
    }
}

using System.Buffers.Binary;
using System.Diagnostics;
using System.Text;
using Engine.Checkpoints;
using Engine.Cli;
using Engine.Cli.Commands;
using Engine.Cli.Training;
using Engine.Training;
using Engine.Devices;
using Engine.Models;
using Engine.Tests.Infrastructure;
using static Engine.Tests.Infrastructure.SampleFiles;

namespace Engine.Tests.Cli;

/// <summary>
/// Every bad input the command line can meet gets one line on the error stream, naming the value
/// at fault, and exit code 1 (2 for a command line that does not parse): never a stack trace, never
/// a hang, never an unbounded allocation. One row per case; each builds its hostile files.
/// </summary>
[Collection(DeviceCollection.Name)]
[DeviceIndependent("hostile arguments, files and folders are refused by host checks before (or without) any kernel; the table asserts messages and untouched files")]
public sealed partial class HostileInputTests(DeviceFixture fixture, HostileInputTests.Workspace workspace, ITestOutputHelper log) : IClassFixture<HostileInputTests.Workspace>
{
    /// <summary>A folder for the cases' files and one tiny trained ResNet run they can point at.</summary>
    public sealed class Workspace : IDisposable
    {
        private readonly Lazy<string> _run;

        public Workspace()
        {
            _run = new Lazy<string>(() =>
            {
                string run = Path.Combine(Folder, "trained");
                var errors = new StringWriter();
                int code = TrainCommand.Run(new TrainSettings
                {
                    Model = "resnet", Device = DeviceSpec.FromEnvironment().IsAuto ? "cpu" : DeviceSpec.FromEnvironment().ToString(),
                    Output = run, Epochs = 1, Width = 4, Limit = 32, BatchSize = 16, Plain = true,
                }, TextWriter.Null, errors);
                Assert.True(code == 0, errors.ToString());
                return run;
            });
        }

        public string Folder { get; } = Directory.CreateTempSubdirectory("engine-hostile-").FullName;

        /// <summary>A trained run folder (made on first use).</summary>
        public string TrainedRun => _run.Value;

        /// <summary>The trained run when a case has made it, else null (a snapshot does not make it).</summary>
        public string? TrainedRunIfMade => _run.IsValueCreated ? _run.Value : null;

        public void Dispose() => Directory.Delete(Folder, recursive: true);
    }

    private readonly Workspace _workspace = workspace;

    private delegate string[] Setup(Context c);

    /// <summary>What a case's setup can use: its own folder and the device; a case that sets <see cref="Environment"/> runs the tool as a process of its own with it.</summary>
    private sealed partial class Context(string folder, string device, Workspace workspace)
    {
        public string Folder => folder;
        public string Device => device;
        public Workspace Workspace => workspace;

        /// <summary>Environment variables the tool runs with (a separate process: this one's environment is shared by the tests running beside it).</summary>
        public Dictionary<string, string> Environment { get; } = new();

        public string File(string name, byte[] bytes)
        {
            string path = System.IO.Path.Combine(folder, name);
            Directory.CreateDirectory(System.IO.Path.GetDirectoryName(path)!);
            System.IO.File.WriteAllBytes(path, bytes);
            return path;
        }

        public string Path(string name) => System.IO.Path.Combine(folder, name);

        /// <summary>A valid small-stem ResNet-18 (10 classes, 1 channel, width 4) state dict.</summary>
        public string Weights(Action<Dictionary<string, SafeTensor>>? change = null)
        {
            using var device = ComputeDevice.Open(Device);
            var model = ModelFactory.Create(ResNetOptions);
            model.Initialize(device, 3);
            var tensors = StateDict.Collect(model).ToDictionary(t => t.Name);
            model.Release();
            change?.Invoke(tensors);
            string path = Path("weights.safetensors");
            SafeTensorsFile.Write(path, tensors.Values);
            return path;
        }

        /// <summary>The predict command line for a model of <see cref="ResNetOptions"/>.</summary>
        public string[] Predict(string weights, string input, string output) =>
            ["predict", "--model", "resnet18", "--classes", "10", "--in-channels", "1", "--small-stem", "--base-width", "4",
             "--weights", weights, "--input", input, "--output", output, "--device", device];

        /// <summary>An MNIST-style IDX folder.</summary>
        public string IdxFolder(byte[]? trainImages = null, byte[]? testImages = null, int count = 64, string name = "mnist", byte[]? trainLabels = null)
        {
            File($"{name}/train-images-idx3-ubyte", trainImages ?? IdxImages(count, 28));
            File($"{name}/train-labels-idx1-ubyte", trainLabels ?? IdxLabels(count));
            File($"{name}/t10k-images-idx3-ubyte", testImages ?? IdxImages(count, 28));
            File($"{name}/t10k-labels-idx1-ubyte", IdxLabels(count));
            return Path(name);
        }

        public string[] Train(params string[] args) => ["train", .. args, "--device", device, "--plain"];
    }

    private static readonly ModelOptions ResNetOptions = new("resnet18", 10, 1, SmallStem: true, BaseWidth: 4);

    private static readonly Dictionary<string, (Setup Setup, int Exit, string Message)> Cases = new()
    {
        // .npy inputs of predict
        ["npy shape of Python 2 longs (3L,)"] = (c => c.Predict(c.Weights(), c.File("x.npy", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3L,), }", new byte[12])), c.Path("y.npy")),
            1, "--input must be [N, C, H, W], but"),
        ["npy dimension of 10^12"] = (c => c.Predict(c.Weights(), c.File("x.npy", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (1000000000000, 1, 8, 8), }", [])), c.Path("y.npy")),
            1, "dimension 1000000000000, larger than 2147483647"),
        ["npy v2 header length 0xFFFFFFFF"] = (c => c.Predict(c.Weights(), c.File("x.npy", Npy("{}", [], version: 2, headerLength: 0xFFFFFFFF)), c.Path("y.npy")),
            1, "declares a 4294967295-byte header"),
        ["npy truncated data"] = (c => c.Predict(c.Weights(), c.File("x.npy", NpyFloats(2, 1, 8, 8)[..^100]), c.Path("y.npy")),
            1, "should hold 512 data bytes for shape (2, 1, 8, 8)"),
        ["npy in Fortran order"] = (c => c.Predict(c.Weights(), c.File("x.npy", Npy("{'descr': '<f4', 'fortran_order': True, 'shape': (1, 1, 8, 8), }", new byte[256])), c.Path("y.npy")),
            1, "Fortran order"),
        ["npy of int64"] = (c => c.Predict(c.Weights(), c.File("x.npy", Npy("{'descr': '<i8', 'fortran_order': False, 'shape': (1, 1, 8, 8), }", new byte[512])), c.Path("y.npy")),
            1, "holds dtype <i8"),
        ["npy empty file"] = (c => c.Predict(c.Weights(), c.File("x.npy", []), c.Path("y.npy")), 1, "is truncated"),
        ["npy holding NaN"] = (c => c.Predict(c.Weights(), c.File("x.npy", WithNaN(NpyFloats(2, 1, 8, 8), 70)), c.Path("y.npy")),
            1, "holds a non-finite value (NaN) in image 1"),
        ["npy of no images"] = (c => c.Predict(c.Weights(), c.File("x.npy", Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (0, 1, 8, 8), }", [])), c.Path("y.npy")),
            1, "no images"),
        ["input is a directory"] = (c => c.Predict(c.Weights(), Directory.CreateDirectory(c.Path("in.npy")).FullName, c.Path("y.npy")),
            1, "is a directory, not a file to read"),
        ["input is a named pipe"] = (c => c.Predict(c.Weights(), Fifo(c.Path("pipe.npy")), c.Path("y.npy")), 1, "is a named pipe, not a file to read"),
        ["output is a directory"] = (c => c.Predict(c.Weights(), c.File("x.npy", NpyFloats(1, 1, 8, 8)), Directory.CreateDirectory(c.Path("out")).FullName),
            1, "is a directory, not a regular file"),
        ["output is /dev/null"] = (c => c.Predict(c.Weights(), c.File("x.npy", NpyFloats(1, 1, 8, 8)), "/dev/null"), 1, "'/dev/null' is a character device, not a regular file"),
        ["output under a file"] = (c => c.Predict(c.Weights(), c.File("x.npy", NpyFloats(1, 1, 8, 8)), Path.Combine(c.File("notes.txt", [1]), "y.npy")),
            1, "is a regular file, not a folder"),
        ["npy input over 2 GB of another channel count"] = (c => c.Predict(c.Weights(), Sparse(c.Path("big.npy"),
                Npy("{'descr': '<f4', 'fortran_order': False, 'shape': (3200000, 3, 8, 8), }", []), 3_200_000L * 3 * 64 * 4), c.Path("y.npy")),
            1, "--input has 3 channels but the model takes --in-channels 1"),
        ["weights over 2 GB with an unexpected tensor"] = (c => c.Predict(WithLargeTensor(c, c.Weights()), c.File("x.npy", NpyFloats(1, 1, 8, 8)), c.Path("y.npy")),
            1, "unexpected padding"),
        ["predict batch size 0"] = (c => [.. c.Predict(c.Weights(), c.File("x.npy", NpyFloats(1, 1, 8, 8)), c.Path("y.npy")), "--batch-size", "0"], 1, "--batch-size must be positive, got 0."),

        // safetensors weights
        ["safetensors __metadata__ a string"] = (c => c.Predict(c.File("w.safetensors", SafeTensors("{\"__metadata__\":\"oops\"}", [])), c.File("x.npy", NpyFloats(1, 1, 8, 8)), c.Path("y.npy")),
            1, "__metadata__ is a JSON string, not an object of strings"),
        ["safetensors shape [2^62] without data"] = (c => c.Predict(c.File("w.safetensors", SafeTensors("{\"w\":{\"dtype\":\"F32\",\"shape\":[4611686018427387904],\"data_offsets\":[0,0]}}", [])), c.File("x.npy", NpyFloats(1, 1, 8, 8)), c.Path("y.npy")),
            1, "needs more than the file's bytes but its range holds 0"),
        ["safetensors header length 2^60"] = (c => c.Predict(c.File("w.safetensors", HeaderLength(1UL << 60)), c.File("x.npy", NpyFloats(1, 1, 8, 8)), c.Path("y.npy")),
            1, "declares a 1152921504606846976-byte header"),
        ["safetensors truncated"] = (c => c.Predict(c.File("w.safetensors", File.ReadAllBytes(c.Weights())[..^1000]), c.File("x.npy", NpyFloats(1, 1, 8, 8)), c.Path("y.npy")),
            1, "truncated"),
        ["safetensors entry that is not an object"] = (c => c.Predict(c.File("w.safetensors", SafeTensors("{\"w\":[1,2]}", [])), c.File("x.npy", NpyFloats(1, 1, 8, 8)), c.Path("y.npy")),
            1, "the header entry of tensor 'w' is a JSON array, not an object"),
        ["weights holding NaN"] = (c => c.Predict(c.Weights(t => t["conv1.weight"] = SafeTensor.FromFloats("conv1.weight", WithNaN(t["conv1.weight"].ToFloats(), 5), t["conv1.weight"].Shape)),
            c.File("x.npy", NpyFloats(1, 1, 8, 8)), c.Path("y.npy")), 1, "conv1.weight holds 1 non-finite value(s), the first (NaN) at flat index 5"),
        ["weights are a directory"] = (c => c.Predict(Directory.CreateDirectory(c.Path("w")).FullName, c.File("x.npy", NpyFloats(1, 1, 8, 8)), c.Path("y.npy")),
            1, "is a directory, not a file to read"),
        ["weights of another model"] = (c => [.. c.Predict(c.Weights(), c.File("x.npy", NpyFloats(1, 1, 8, 8)), c.Path("y.npy")).Select(a => a == "10" ? "5" : a)],
            1, "fc.weight has shape [10, 32] in the file but [5, 32] in the model"),

        // checkpoints given to eval, sample and segment
        ["checkpoint metadata of the wrong type"] = (c => ["eval", "-c", c.File("ckpt.safetensors", SafeTensors("{\"__metadata__\":{\"engine.run\":\"{\\\"Format\\\":\\\"two\\\"}\"}}", [])), "--device", c.Device],
            1, "damaged run information"),
        ["checkpoint metadata with a bad position"] = (c => ["eval", "-c", c.File("ckpt.safetensors", RunInfo(c.Workspace.TrainedRun, info => info.Replace("\"Step\":0", "\"Step\":-3", StringComparison.Ordinal))), "--device", c.Device],
            1, "the run information has position epoch 1, step -3 of 2"),
        ["checkpoint missing"] = (c => ["eval", "-c", c.Path("none.safetensors"), "--device", c.Device], 1, "none.safetensors' does not exist"),
        ["sample -o onto a file"] = (c => ["sample", "-c", c.Workspace.TrainedRun, "-o", c.File("taken.png", [1]), "--device", c.Device],
            1, "is a regular file, not a folder for the PNGs"),
        ["segment -o onto a directory"] = (c => ["segment", "-c", c.Workspace.TrainedRun, "-o", Directory.CreateDirectory(c.Path("pngs")).FullName, "--device", c.Device],
            1, "is a directory, not a regular file"),
        ["eval --limit 0"] = (c => ["eval", "-c", c.Workspace.TrainedRun, "--limit", "0", "--device", c.Device], 1, "--limit must be positive, got 0."),

        // train's settings
        ["weight decay NaN"] = (c => c.Train("resnet", "--weight-decay", "NaN", "-o", c.Path("run")), 1, "--weight-decay must be a finite number of at least 0, got NaN."),
        ["learning rate infinite"] = (c => c.Train("resnet", "--lr", "Infinity", "-o", c.Path("run")), 1, "--lr must be a positive finite number"),
        ["learning rate beyond float32"] = (c => c.Train("resnet", "--lr", "1e39", "-o", c.Path("run")), 2, "--lr 1e39 is beyond the range of float32"),
        ["an autoencoder penalty for a plain one"] = (c => c.Train("ae", "--penalty", "0.1", "-o", c.Path("run")), 1, "--penalty applies to --kind sparse or contractive only, not plain."),
        ["a masked fraction of 1"] = (c => c.Train("ae", "--kind", "denoising", "--noise", "masking", "--noise-level", "1", "-o", c.Path("run")),
            1, "--noise-level (the masked fraction) must be in [0, 1), got 1."),
        ["an unknown autoencoder"] = (c => c.Train("ae", "--kind", "variational", "-o", c.Path("run")), 1, "--kind must be one of plain, denoising, sparse, contractive, got 'variational'."),
        ["an autoencoder kind for a resnet"] = (c => c.Train("resnet", "--kind", "sparse", "-o", c.Path("run")), 1, "--kind, --noise, --noise-level and --penalty apply to ae only, not resnet."),
        ["a latent size for a resnet"] = (c => c.Train("resnet", "--latent", "2", "-o", c.Path("run")), 1, "--latent applies to vae and ae only, not resnet."),
        ["sample from a resnet"] = (c => ["sample", "-c", c.Workspace.TrainedRun, "--device", c.Device], 1, "is a resnet checkpoint; sample needs a vae or ae one"),
        ["epochs that wrap the schedule"] = (c => c.Train("resnet", "--epochs", "1073741825", "-o", c.Path("run")), 1, "error: 1073741825 epochs of 93 steps make 99857989725 steps"),
        ["a model far beyond memory"] = (c => c.Train("resnet", "--base-width", "4096", "-o", c.Path("run")),
            1, "out of device memory on"),
        ["--base-width 640 beyond the memory allowed"] = (c => c.Train("resnet", "--base-width", "640", "--memory-limit", "8G", "-o", c.Path("run")),
            1, "of weights, gradients and optimiser state"),
        ["a memory limit below the step"] = (c => c.Train("resnet", "--memory-limit", "1M", "-o", c.Path("run")),
            1, "needs"),
        ["memory limit that is not a size"] = (c => c.Train("resnet", "--memory-limit", "lots", "-o", c.Path("run")), 1, "--memory-limit must be a positive size such as 512M or 4G, got 'lots'."),
        ["save-every 0"] = (c => c.Train("resnet", "--save-every", "0", "-o", c.Path("run")), 1, "--save-every must be positive, got 0."),
        ["log-every 0"] = (c => c.Train("resnet", "--log-every", "0", "-o", c.Path("run")), 1, "--log-every must be positive, got 0."),
        ["clip-grad-norm 0"] = (c => c.Train("resnet", "--clip-grad-norm", "0", "-o", c.Path("run")), 1, "--clip-grad-norm must be a positive finite number, got 0."),
        ["clip-grad-norm negative"] = (c => c.Train("resnet", "--clip-grad-norm", "-0.5", "-o", c.Path("run")), 1, "--clip-grad-norm must be a positive finite number, got -0.5."),
        ["accumulate 0"] = (c => c.Train("resnet", "--accumulate", "0", "-o", c.Path("run")), 1, "--accumulate must be at least 1 batch, got 0."),
        ["resume with another accumulation"] = (c => c.Train("resnet", "--resume", "--accumulate", "2", "-o", c.Workspace.TrainedRun),
            1, "--resume: this run was trained with --accumulate 1; --accumulate 2 would make it another run"),
        ["the curves' file is a directory"] = (c => c.Train("resnet", "-o", Path.GetDirectoryName(Directory.CreateDirectory(c.Path("logged/curves.png")).FullName)!),
            1, "is a directory, not a regular file"),
        ["base width on the vae"] = (c => c.Train("vae", "--base-width", "8", "-o", c.Path("run")), 1, "--base-width does not apply to the vae."),
        ["resume and overwrite together"] = (c => c.Train("resnet", "--resume", "--overwrite", "-o", c.Path("run")), 1, "give one"),
        ["train into a folder holding a run"] = (c => c.Train("resnet", "-o", c.Workspace.TrainedRun), 1, "holds a run (classification, epoch 1 of 1"),
        ["resume with another seed"] = (c => c.Train("resnet", "--resume", "--seed", "2", "-o", c.Workspace.TrainedRun),
            1, "--resume: this run was trained with --seed 1; --seed 2 would make it another run"),
        ["resume with another optimizer"] = (c => c.Train("resnet", "--resume", "--optimizer", "sgd", "-o", c.Workspace.TrainedRun),
            1, "--resume: this run was trained with --optimizer adamw; --optimizer sgd would make it another run"),
        ["unknown init"] = (c => c.Train("resnet", "--init", "xavier", "-o", c.Path("run")), 1, "--init must be one of torchvision, pytorch, got 'xavier'."),
        ["init on the vae"] = (c => c.Train("vae", "--init", "pytorch", "-o", c.Path("run")), 1, "--init and --zero-init-residual apply to resnet only, not the vae."),
        ["resume with another init"] = (c => c.Train("resnet", "--resume", "--init", "pytorch", "-o", c.Workspace.TrainedRun),
            1, "--resume: this run was trained with --init torchvision; --init pytorch would make it another run"),
        ["resume with the decay split otherwise"] = (c => c.Train("resnet", "--resume", "--no-norm-bias-decay", "-o", c.Workspace.TrainedRun),
            1, "--resume: this run was trained with --no-norm-bias-decay off; --no-norm-bias-decay on would make it another run"),
        ["unknown schedule"] = (c => c.Train("resnet", "--schedule", "cyclic", "-o", c.Path("run")), 1, "--schedule must be one of cosine, onecycle, plateau, constant, got 'cyclic'."),
        ["resume with another schedule"] = (c => c.Train("resnet", "--resume", "--schedule", "onecycle", "-o", c.Workspace.TrainedRun),
            1, "--resume: this run was trained with --schedule cosine; --schedule onecycle would make it another run"),
        ["unknown optimizer"] = (c => c.Train("resnet", "--optimizer", "lamb", "-o", c.Path("run")), 1, "--optimizer must be one of adamw, sgd, got 'lamb'."),
        ["resume without a checkpoint"] = (c => c.Train("resnet", "--resume", "-o", c.Path("empty")), 1, "there is no checkpoint"),
        ["run folder is a file"] = (c => c.Train("resnet", "-o", c.File("run.txt", [1])), 1, "is a regular file, not a run folder"),
        ["run folder cannot be made"] = (c => c.Train("resnet", "-o", "/proc/engine-cannot-write-here"), 1, "Cannot write checkpoints into '/proc/engine-cannot-write-here'"),
        ["absent device"] = (c => ["train", "resnet", "--device", "cuda:7", "-o", c.Path("run")], 1, "Device 'cuda:7' is not available"),

        // datasets
        ["IDX gzip bomb behind a small header"] = (c => c.Train("resnet", "--dataset", "mnist", "--data", c.IdxFolder(trainImages: GzipBomb(IdxImages(64, 28), 200L << 20)), "-o", c.Path("run")),
            1, "holds more than the 50176 data bytes its dimensions [64, 28, 28] declare"),
        ["IDX header [16, 2^30, 2^30]"] = (c => c.Train("resnet", "--dataset", "mnist", "--data", c.IdxFolder(trainImages: Idx(0x0803, [16, 1 << 30, 1 << 30], [])), "-o", c.Path("run")),
            1, "declares dimensions [16, 1073741824, 1073741824]"),
        ["IDX truncated"] = (c => c.Train("resnet", "--dataset", "mnist", "--data", c.IdxFolder(trainImages: IdxImages(64, 28)[..^10]), "-o", c.Path("run")),
            1, "should hold 50176 data bytes"),
        ["splits of two image sizes"] = (c => c.Train("resnet", "--dataset", "mnist", "--data", c.IdxFolder(testImages: IdxImages(64, 32)), "-o", c.Path("run")),
            1, "the training images are 1x28x28 but the test images 1x32x32"),
        ["--data without --dataset"] = (c => c.Train("resnet", "--data", c.IdxFolder(), "-o", c.Path("run")), 1, "may be MNIST or Fashion-MNIST: say which with --dataset mnist"),
        ["--data with the embedded dataset"] = (c => c.Train("resnet", "--dataset", "fashion-mnist-small", "--data", c.Folder, "-o", c.Path("run")),
            1, "fashion-mnist-small is embedded in the tool, so --data does not apply"),
        ["NIfTI with scl_slope infinite"] = (c => c.Train("unet", "--data", Mri(c, slope: float.PositiveInfinity), "-o", c.Path("run")),
            1, "the scaling must be finite"),
        ["NIfTI vox_offset inside the header"] = (c => c.Train("unet", "--data", Mri(c, voxOffset: 100), "-o", c.Path("run")),
            1, "has vox_offset 100; a single-file NIfTI-1 needs a whole number of at least 352"),

        // usage errors: exit 2
        ["unknown option"] = (c => ["train", "resnet", "--bogus"], 2, "--bogus"),
        ["epochs not a number"] = (c => ["train", "resnet", "--epochs", "abc"], 2, "abc"),
        ["unknown command"] = (c => ["trian"], 2, "trian"),
        ["predict without --weights"] = (c => ["predict", "--model", "resnet18", "--input", "x.npy", "--output", "y.npy"], 2, "--weights"),
    };

    /// <summary>Every case: this file's and those of the partial files beside it, one class of hostile input each.</summary>
    // Built on first use: static fields of partial files are initialised in no set order.
    private static Dictionary<string, (Setup Setup, int Exit, string Message)> AllCases => s_allCases ??= Merge(Cases, OutputCases, CheckpointCases, ResumeCases, FolderCases, MessageCases);

    private static Dictionary<string, (Setup Setup, int Exit, string Message)>? s_allCases;

    private static Dictionary<string, (Setup Setup, int Exit, string Message)> Merge(params Dictionary<string, (Setup Setup, int Exit, string Message)>[] tables)
    {
        var all = new Dictionary<string, (Setup Setup, int Exit, string Message)>();
        foreach (var table in tables)
            foreach (var (name, value) in table)
                all.Add(name, value); // a name used twice fails here
        return all;
    }

    public static TheoryData<string> CaseNames => new(AllCases.Keys);

    [Theory]
    [MemberData(nameof(CaseNames))]
    public void BadInputGetsOneClearLine(string name)
    {
        var (setup, exit, message) = AllCases[name];
        string folder = Directory.CreateDirectory(Path.Combine(_workspace.Folder, Guid.NewGuid().ToString("N"))).FullName;
        var context = new Context(folder, fixture.Spec.ToString(), _workspace);
        string[] args = setup(context);
        var snapshot = context.Snapshot();
        long allocatedBefore = GC.GetAllocatedBytesForCurrentThread();
        var clock = Stopwatch.StartNew();
        int code;
        string stderr;
        if (context.Environment.Count > 0)
        {
            (code, _, stderr) = CliProcess.Start(folder, context.Environment, args).WaitForExit(TimeSpan.FromMinutes(2));
        }
        else
        {
            var errors = new StringWriter();
            code = EngineCli.Run(args, new StringWriter(), errors);
            stderr = errors.ToString();
        }
        long allocated = GC.GetAllocatedBytesForCurrentThread() - allocatedBefore;

        string[] lines = stderr.Split('\n', StringSplitOptions.RemoveEmptyEntries);
        log.WriteLine($"exit {code}: {stderr.TrimEnd()}");
        Assert.True(lines.Length == 1, $"{name}: expected one error line, got:\n{stderr}");
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(message, lines[0]);
        Assert.DoesNotContain(" at Engine.", stderr);
        Assert.DoesNotContain("(Parameter '", lines[0]);
        Assert.DoesNotContain("System.", lines[0]); // no .NET type names
        Assert.True(lines[0].Length < 1000, $"{name}: a line of {lines[0].Length} characters");
        context.AssertUnchanged(snapshot); // nothing the case had before the command is lost or changed
        Assert.Equal(exit, code);
        Assert.True(clock.Elapsed < TimeSpan.FromSeconds(60), $"{name} took {clock.Elapsed}");
        Assert.True(allocated < 256L << 20, $"{name} allocated {allocated >> 20} MiB");
        Assert.False(File.Exists("/dev/null") && PathKindOfDevNull() != Engine.IO.PathKind.CharacterDevice, "/dev/null was replaced");
    }

    /// <summary>The stack trace comes with --verbose, after the same line.</summary>
    [Fact]
    public void VerboseAddsTheStackTrace()
    {
        var errors = new StringWriter();
        bool verbose = ErrorReport.Verbose;
        try
        {
            Assert.Equal(1, EngineCli.Run(["eval", "-c", Path.Combine(_workspace.Folder, "nothing.safetensors"), "--verbose"], TextWriter.Null, errors));
        }
        finally
        {
            ErrorReport.Verbose = verbose; // a static: left on, it would add stack traces to the next test's errors
        }
        string[] lines = errors.ToString().Split('\n', StringSplitOptions.RemoveEmptyEntries);
        Assert.StartsWith("error: ", lines[0]);
        Assert.Contains(lines, l => l.TrimStart().StartsWith("at Engine.", StringComparison.Ordinal));
    }

    [Fact]
    public void TheTableCoversAtLeastThirtyCases() => Assert.True(Cases.Count >= 30, $"{Cases.Count} cases");

    /// <summary>Issue 25 grew the table by forty cases or more, in the classes of its partial files.</summary>
    [Fact]
    public void TheTableGrewByAtLeastFortyCases() => Assert.True(AllCases.Count - Cases.Count >= 40, $"{AllCases.Count - Cases.Count} new cases");

    private static Engine.IO.PathKind PathKindOfDevNull() => Engine.IO.PathKinds.Of("/dev/null");

    private static byte[] WithNaN(byte[] npy, int index)
    {
        var copy = (byte[])npy.Clone();
        BinaryPrimitives.WriteSingleLittleEndian(copy.AsSpan(copy.Length - (npy.Length - HeaderEnd(npy)) + 4 * index), float.NaN);
        return copy;
    }

    private static float[] WithNaN(float[] values, int index)
    {
        var copy = (float[])values.Clone();
        copy[index] = float.NaN;
        return copy;
    }

    private static int HeaderEnd(byte[] npy) => 10 + BinaryPrimitives.ReadUInt16LittleEndian(npy.AsSpan(8));

    private static byte[] HeaderLength(ulong length)
    {
        var bytes = new byte[16];
        BinaryPrimitives.WriteUInt64LittleEndian(bytes, length);
        return bytes;
    }

    /// <summary>A file of <paramref name="head"/> followed by <paramref name="zeros"/> zero bytes that take no disk (sparse).</summary>
    private static string Sparse(string path, byte[] head, long zeros)
    {
        using var file = new FileStream(path, FileMode.CreateNew);
        file.Write(head);
        file.SetLength(head.Length + zeros);
        return path;
    }

    /// <summary>The state dict of <paramref name="weights"/> plus a 2.4 GB tensor "padding" (sparse zeros): a file over 2 GB.</summary>
    private static string WithLargeTensor(Context c, string weights)
    {
        const long count = 600_000_000;
        using var reader = SafeTensorsReader.Open(weights);
        var tensors = reader.Tensors.Select(t => reader.Read(t.Name)).ToList();
        long end = tensors.Sum(t => (long)t.Data.Length);
        var header = new StringBuilder("{");
        long offset = 0;
        foreach (var t in tensors)
        {
            header.Append($"\"{t.Name}\":{{\"dtype\":\"{t.Type}\",\"shape\":[{string.Join(",", t.Shape)}],\"data_offsets\":[{offset},{offset + t.Data.Length}]}},");
            offset += t.Data.Length;
        }
        header.Append($"\"padding\":{{\"dtype\":\"F32\",\"shape\":[{count}],\"data_offsets\":[{end},{end + count * 4}]}}}}");
        byte[] head = SafeTensors(header.ToString(), tensors.SelectMany(t => t.Data).ToArray());
        return Sparse(c.Path("large.safetensors"), head, count * 4);
    }

    private static string Fifo(string path)
    {
        using var mkfifo = Process.Start("mkfifo", [path])!;
        mkfifo.WaitForExit();
        Assert.Equal(0, mkfifo.ExitCode);
        return path;
    }

    /// <summary>A checkpoint file whose run information JSON is changed by <paramref name="edit"/>.</summary>
    private static byte[] RunInfo(string run, Func<string, string> edit)
    {
        using var reader = SafeTensorsReader.Open(Path.Combine(run, RunFolder.LastFile));
        var metadata = reader.Metadata.ToDictionary();
        metadata["engine.run"] = edit(metadata["engine.run"]);
        var tensors = reader.Tensors.Select(t => reader.Read(t.Name)).ToList();
        string file = Path.Combine(Path.GetTempPath(), $"engine-edit-{Guid.NewGuid():N}.safetensors");
        try
        {
            SafeTensorsFile.Write(file, tensors, metadata);
            return File.ReadAllBytes(file);
        }
        finally
        {
            File.Delete(file);
        }
    }

    /// <summary>A brain-MRI folder of 16x16x8 volumes with the image's header changed.</summary>
    private static string Mri(Context c, float slope = 1, float voxOffset = 352)
    {
        var voxels = Enumerable.Range(0, 16 * 16 * 8).Select(i => (byte)(i % 200)).ToArray();
        c.File("mri/KmeansTest_T1UCharRaw.nii", Nifti(16, 16, 8, voxels, slope: slope, voxOffset: voxOffset));
        c.File("mri/KmeansTest_T1RawSkullStrip.nii.gz", Gzip(Nifti(16, 16, 8, voxels)));
        return c.Path("mri");
    }
}

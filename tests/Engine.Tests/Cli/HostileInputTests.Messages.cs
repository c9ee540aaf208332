using Engine.Checkpoints;
using Engine.Models;
using static Engine.Tests.Infrastructure.SampleFiles;

namespace Engine.Tests.Cli;

/// <summary>Every message is the engine's: values named by the option, variable or file they came from, no .NET wording, long lists capped.</summary>
public sealed partial class HostileInputTests
{
    private static readonly Dictionary<string, (Setup Setup, int Exit, string Message)> MessageCases = new()
    {
        // ENGINE_* variables, checked like options (in a process of its own: this one's environment is every test's)
        ["ENGINE_HOST_PATH=maybe"] = (c => Env(c, "ENGINE_HOST_PATH", "maybe", ["devices"]), 2, "ENGINE_HOST_PATH='maybe' must be 1 or 0 (or on/off, true/false)."),
        ["ENGINE_DEVICE with a bad index"] = (c => Env(c, "ENGINE_DEVICE", "cpu:x", ["devices"]), 2, "ENGINE_DEVICE='cpu:x' is not a device: give auto, cpu, opencl[:N] or cuda[:N]."),
        ["ENGINE_DEVICES, a typo"] = (c => Env(c, "ENGINE_DEVICES", "cpu", ["devices"]), 2, "ENGINE_DEVICES is not a variable the engine reads"),
        ["ENGINE_PEER_TIMEOUT=-1"] = (c => Env(c, "ENGINE_PEER_TIMEOUT", "-1", ["devices"]), 2, "ENGINE_PEER_TIMEOUT='-1' must be a number of seconds in (0, 86400]."),
        ["ENGINE_GEMM=fast"] = (c => Env(c, "ENGINE_GEMM", "fast", ["devices"]), 2, "ENGINE_GEMM='fast' must be one of auto, register, shared, host."),
        ["ENGINE_PROFILE=yes"] = (c => Env(c, "ENGINE_PROFILE", "yes", ["devices"]), 2, "ENGINE_PROFILE='yes' must be 1 or 0"),
        ["ENGINE_VERBOSE=Yes"] = (c => Env(c, "ENGINE_VERBOSE", "Yes", ["devices"]), 2, "ENGINE_VERBOSE='Yes' must be 1 or 0"),
        ["a resumed run's recorded device, absent"] = (c => c.CopyOfRun() is var run && RecordDevice(run, "cuda:7") ? EnvResume(c, run) : [],
            1, "(the device came from the --device cuda:7 recorded in '"),

        // numbers as typed
        ["a learning rate of 1e300"] = (c => c.Train("resnet", "--lr", "1e300", "-o", c.Path("run")), 2, "--lr 1e300 is beyond the range of float32 (about 3.4e38)"),
        ["a learning rate of 1e-50"] = (c => c.Train("resnet", "--lr", "1e-50", "-o", c.Path("run")), 2, "--lr 1e-50 is below the smallest float32"),
        ["a weight decay that is not a number"] = (c => c.Train("resnet", "--weight-decay", "lots", "-o", c.Path("run")), 2, "--weight-decay must be a number, got 'lots'"),

        // summary and predict: the model's options by their option names
        ["summary of a ResNet 100,000 wide"] = (c => ["summary", "resnet18", "--base-width", "100000"], 1, "--base-width must be between 1 and 4096, got 100000."),
        ["summary of a U-Net 40 deep"] = (c => ["summary", "unet", "--depth", "40"], 1, "--depth must be between 1 and 12, got 40."),
        ["summary with an output stride of 2"] = (c => ["summary", "deeplabv3", "--output-stride", "2"], 1, "--output-stride must be 4, 8 or 16, got 2."),
        ["train fcn8s at an output stride"] = (c => c.Train("fcn8s", "--output-stride", "4", "-o", c.Path("run")), 1, "--output-stride applies to deeplab and pspnet, not fcn8s."),
        ["train deeplab at output stride 32"] = (c => c.Train("deeplab", "--output-stride", "32", "-o", c.Path("run")), 1, "--output-stride must be one of 4, 8, 16, got 32."),
        ["summary with atrous rate 0"] = (c => ["summary", "deeplabv3", "--atrous-rate", "0"], 1, "--atrous-rate must be between 1 and 1024, got 0."),
        ["summary of a VAE of side 30"] = (c => ["summary", "vae", "--size", "30"], 1, "--size must be a multiple of 4 for the vae (two stride-2 levels), got 30."),
        ["summary of side 100,000"] = (c => ["summary", "resnet18", "--size", "100000"], 1, "--size must be between 1 and 16384, got 100000."),
        ["summary of a U-Net too small for its depth"] = (c => ["summary", "unet", "--size", "7"], 1, "--size 7 does not fit the unet: down1.0: Conv2d:"),
        ["summary with two billion classes"] = (c => ["summary", "resnet18", "--classes", "2000000000"], 1, "--classes must be between 0 and 100000, got 2000000000."),
        ["predict with weights of another width (every tensor differs)"] = (c => [.. c.Predict(c.Weights(), c.File("x.npy", NpyFloats(1, 1, 8, 8)), c.Path("y.npy")).Select(a => a == "4" ? "8" : a)],
            1, "more problems."),

        // the memory plan counts the workspaces: weights and activations fit in 64 MiB, the step does not
        ["a memory limit that holds the activations but not the workspaces"] = (c => c.Train("unet", "--limit", "16", "--batch-size", "4", "--memory-limit", "64M", "-o", c.Path("run")),
            1, "of workspace) needs"),

        // data named by its file
        ["a label outside the classes"] = (c => c.Train("resnet", "--dataset", "mnist", "--data", c.IdxFolder(trainLabels: Idx(0x0801, [64], Enumerable.Range(0, 64).Select(i => (byte)(i == 17 ? 12 : i % 10)).ToArray())), "-o", c.Path("run")),
            1, "train-labels-idx1-ubyte' holds label 12 (image 17), but mnist has 10 classes (labels 0 to 9)."),
        ["a U-Net on images of a side it does not keep"] = (c => c.Train("unet", "--data", MriOfSide(c, 20), "--batch-size", "4", "-o", c.Path("run")),
            1, "The model maps 20x20 images to 16x16 masks: train it on images of a side it keeps"),
        ["a path that is not UTF-8"] = (c => c.Predict(c.Weights(), "\uFFFD.npy", c.Path("y.npy")), 2, "--input '\uFFFD.npy' holds bytes that are not UTF-8"),
        ["a model name of another case"] = (c => ["summary", "ResNet99"], 1, "Unknown model 'ResNet99'. Known models: resnet18,"),
    };

    /// <summary>A brain-MRI folder of 44 slices of <paramref name="side"/> x <paramref name="side"/> (enough beside the held-out slab).</summary>
    private static string MriOfSide(Context c, short side)
    {
        var voxels = Enumerable.Range(0, side * side * 44).Select(i => (byte)(i * 13 % 251)).ToArray();
        c.File("mri/KmeansTest_T1UCharRaw.nii", Nifti(side, side, 44, voxels));
        c.File("mri/KmeansTest_T1RawSkullStrip.nii", Nifti(side, side, 44, voxels.Select(v => (byte)(v > 120 ? 1 : 0)).ToArray()));
        return c.Path("mri");
    }

    /// <summary>The command line <paramref name="args"/> run in a process of its own with <paramref name="name"/>=<paramref name="value"/>.</summary>
    private static string[] Env(Context c, string name, string value, string[] args)
    {
        c.Environment[name] = value;
        return args;
    }

    /// <summary>Resumes a run in a process with no ENGINE_DEVICE (CI stages set it; it would outrank the recorded device) and no --device.</summary>
    private static string[] EnvResume(Context c, string run)
    {
        c.Environment["ENGINE_DEVICE"] = "";
        return ["train", "resnet", "--resume", "--epochs", "2", "--plain", "-o", run];
    }

    /// <summary>Records <paramref name="device"/> as the train settings' --device in both checkpoints of a copied run.</summary>
    private static bool RecordDevice(string run, string device)
    {
        foreach (string file in new[] { Engine.Training.RunFolder.LastFile, Engine.Training.RunFolder.BestFile })
            Context.EditInfo(Path.Combine(run, file), info => System.Text.RegularExpressions.Regex.Replace(info, "\"Device\":(null|\"[^\"]*\")", $"\"Device\":\"{device}\""));
        return true;
    }
}

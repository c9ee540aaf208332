using System.CommandLine;
using System.Globalization;
using Engine.Cli.Datasets;
using Engine.Cli.Training;
using Engine.Training;
using Engine.Distributed;

namespace Engine.Cli.Commands;

/// <summary>
/// <c>train resnet|sppnet|unet|fcn32s|fcn16s|fcn8s|deeplab|pspnet|segnet|deconvnet|vae|ae</c>: trains on a dataset (the embedded default when none is named),
/// with a progress bar, an evaluation after every epoch and checkpoints in the run folder.
/// </summary>
internal static class TrainCommand
{
    internal static Command Create(TextWriter output, TextWriter errors)
    {
        var model = new Argument<string>("model") { Description = "resnet or sppnet (classification; sppnet takes images of any size); unet, fcn32s, fcn16s, fcn8s, deeplab, pspnet, segnet or deconvnet (segmentation; the last seven in light configurations); vae; or ae (an autoencoder: --kind plain, denoising, sparse or contractive)." };
        var dataset = new Option<string?>("--dataset") { Description = $"One of {string.Join(", ", DatasetCatalog.Names)} (default: fashion-mnist-small for resnet, sppnet, vae and ae, brain-mri for unet, m2nist for fcn*, deeplab, pspnet, segnet and deconvnet; with --data, what the folder holds)." };
        var data = new Option<string?>("--data") { Description = "Folder with the dataset's files (default: data/<dataset>)." };
        var epochs = new Option<int?>("--epochs") { Description = "Epochs (default: resnet 3, unet 30, fcn*, deeplab, pspnet, segnet and deconvnet 10, vae and ae 10)." };
        var batch = new Option<int?>("--batch-size", "-b") { Description = "Images per step (default: resnet 64, unet 4, fcn*, deeplab, pspnet, segnet and deconvnet 16, vae and ae 64)." };
        var lr = CommonOptions.Float("--lr", "Peak learning rate, annealed by a cosine (default: resnet and the segmenters 2e-3, vae and ae 1e-3).");
        var decay = CommonOptions.Float("--weight-decay", "Weight decay (default: resnet 5e-4, the segmenters 1e-4, vae and ae 0).");
        var seed = new Option<ulong?>("--seed") { Description = "The seed of initialisation, shuffling, augmentation and dropout or VAE noise (default 1): the same seed gives the same run." };
        var outputFolder = new Option<string?>("--output", "-o") { Description = "Run folder for checkpoints (default: runs/<model>)." };
        var resume = new Option<bool>("--resume") { Description = "Continue the run in the folder from its last checkpoint." };
        var overwrite = new Option<bool>("--overwrite") { Description = "Replace a run already in the folder." };
        var width = new Option<int?>("--base-width", "--width") { Description = "Channels of the first level: the ResNet stem (also DeepLabV3's backbone), the U-Net's first level, VGG's conv1 (FCN, SegNet) (default: 8; FCN and SegNet 16)." };
        var limit = new Option<int?>("--limit") { Description = "Use only the first N training and N test images." };
        var augment = new Option<bool?>("--augment") { Description = "Random flips and shifts (default: on for unet)." };
        var saveEvery = new Option<int?>("--save-every") { Description = "Also commit a checkpoint every N steps (default: after every epoch only)." };
        var logEvery = new Option<int?>("--log-every") { Description = $"Log every Nth step's loss to steps.csv in the run folder (default {TrainSettings.DefaultLogEvery}); epochs.csv and curves.png follow every commit." };
        var memoryLimit = new Option<string?>("--memory-limit") { Description = "Most device memory the run may hold, e.g. 512M or 4G (default: the device's)." };
        var plain = new Option<bool>("--plain") { Description = "Plain progress lines instead of a live bar." };
        var optimizer = new Option<string?>("--optimizer") { Description = "adamw (default) or sgd (momentum 0.9)." };
        var init = new Option<string?>("--init") { Description = "ResNet: torchvision (default: Kaiming normal with fan-out for convolutions, as torchvision) or pytorch (each layer's own default)." };
        var zeroInitResidual = new Option<bool?>("--zero-init-residual") { Description = "ResNet: start each block's last batch norm at 0 (torchvision's zero_init_residual)." };
        var noNormBiasDecay = new Option<bool?>("--no-norm-bias-decay") { Description = "No weight decay on biases and batch-norm parameters (a second parameter group, as the usual PyTorch recipe)." };
        var schedule = new Option<string?>("--schedule") { Description = "How the rate moves: cosine (default: annealed from --lr to --lr/100 over the run), onecycle (PyTorch's OneCycleLR, peak --lr, momentum cycled), plateau (ReduceLROnPlateau on the test metric, PyTorch's defaults) or constant." };
        var distributed = new Option<bool>("--distributed") { Description = "Data-parallel over the ranks mpiexec started (implied when there are several); --batch-size is per rank." };
        var backend = new Option<string?>("--backend") { Description = "Data-parallel runs: what moves device tensors between the ranks: mpi (default; through host memory) or nccl (GPU to GPU; CUDA devices, NCCL 2 installed)." };
        var syncBatchNorm = new Option<bool?>("--sync-batchnorm") { Description = "Data-parallel runs: batch-norm statistics over every rank's batch (default: each rank's own)." };
        var earlyStop = new Option<int?>("--early-stop") { Description = "Stop after N epochs without an improvement of the test metric (EarlyStopping; default: run every epoch)." };
        var clipGradNorm = CommonOptions.Float("--clip-grad-norm", "Scale the gradients so their global L2 norm is at most this before each update (torch.nn.utils.clip_grad_norm_; default: no clipping).");
        var accumulate = new Option<int?>("--accumulate") { Description = "Sum the gradients of N batches of --batch-size before each update (gradient accumulation: the step of one batch N times as large, with one batch's memory; default 1)." };
        var restoreBest = new Option<bool?>("--restore-best") { Description = "At the end of the run (its last epoch or an early stop), put the best epoch's weights back into the model before the final evaluation (Keras's restore_best_weights)." };
        var aeKind = new Option<string?>("--kind") { Description = "ae: plain (default: an undercomplete convolutional autoencoder), denoising (noise on the input, the clean image the target), sparse (a ReLU code with an L1 penalty) or contractive (a sigmoid layer with the Frobenius norm of its Jacobian as penalty)." };
        var latent = new Option<int?>("--latent") { Description = "vae and ae: size of the code (default: vae 20, ae 32; 2 for the latent plots of sample)." };
        var noise = new Option<string?>("--noise") { Description = "ae --kind denoising: gaussian (default) or masking." };
        var noiseLevel = CommonOptions.Float("--noise-level", "ae --kind denoising: the Gaussian's standard deviation (default 0.3) or the masked fraction (default 0.25).");
        var penalty = CommonOptions.Float("--penalty", "ae --kind sparse or contractive: the penalty's weight (default 0.01 on the code's L1 norm, 0.1 on the Jacobian's squared Frobenius norm).");
        var sizes = new Option<string?>("--sizes") { Description = "resnet and sppnet: train and test at these image sides, e.g. 28,36 (images resized bilinearly; each batch one size; the test accuracy reported at each; default: sppnet 28,36, resnet the data's own)." };
        var outputStride = new Option<int?>("--output-stride") { Description = "deeplab and pspnet: the backbone's output stride, 4, 8 (default) or 16 (features at 1/4, 1/8 or 1/16 of the image's side; DeepLab's atrous rates scale with it)." };
        var device = CommonOptions.Device();
        var command = new Command("train", "Train a model and evaluate it after every epoch; Ctrl-C saves a checkpoint and stops.")
        {
            model, dataset, data, device, epochs, batch, lr, decay, seed, outputFolder, resume, overwrite, width, limit, augment, saveEvery, logEvery, memoryLimit, plain, optimizer, schedule, noNormBiasDecay, init, zeroInitResidual, distributed, backend, syncBatchNorm, earlyStop, clipGradNorm, accumulate, restoreBest, aeKind, latent, noise, noiseLevel, penalty, sizes, outputStride,
        };
        command.SetAction(result => ErrorReport.Guard(errors, () => Run(new TrainSettings
        {
            Model = result.GetValue(model)!,
            Dataset = result.GetValue(dataset),
            DataDirectory = result.GetValue(data),
            Device = result.GetValue(device),
            Epochs = result.GetValue(epochs),
            BatchSize = result.GetValue(batch),
            LearningRate = result.GetValue(lr),
            WeightDecay = result.GetValue(decay),
            Seed = result.GetValue(seed),
            Output = result.GetValue(outputFolder),
            Resume = result.GetValue(resume),
            Overwrite = result.GetValue(overwrite),
            Width = result.GetValue(width),
            Limit = result.GetValue(limit),
            Augment = result.GetValue(augment),
            SaveEvery = result.GetValue(saveEvery),
            LogEvery = result.GetValue(logEvery),
            MemoryLimit = ParseBytes(result.GetValue(memoryLimit)),
            Plain = result.GetValue(plain),
            Optimizer = result.GetValue(optimizer),
            Schedule = result.GetValue(schedule),
            NoNormBiasDecay = result.GetValue(noNormBiasDecay),
            Init = result.GetValue(init),
            ZeroInitResidual = result.GetValue(zeroInitResidual),
            Distributed = result.GetValue(distributed),
            Backend = result.GetValue(backend),
            SyncBatchNorm = result.GetValue(syncBatchNorm),
            EarlyStop = result.GetValue(earlyStop),
            ClipGradNorm = result.GetValue(clipGradNorm),
            Accumulate = result.GetValue(accumulate),
            RestoreBest = result.GetValue(restoreBest),
            AutoencoderKind = result.GetValue(aeKind),
            Latent = result.GetValue(latent),
            Noise = result.GetValue(noise),
            NoiseLevel = result.GetValue(noiseLevel),
            Penalty = result.GetValue(penalty),
            Sizes = result.GetValue(sizes),
            OutputStride = result.GetValue(outputStride),
        }, output, errors, InterruptSignal.Listen(errors))));
        return command;
    }

    /// <summary>
    /// Trains; returns 0, or <see cref="InterruptSignal.ExitCode"/> after <paramref name="interrupt"/>
    /// stopped the run at a committed checkpoint, or 1 on an error. The signal is disposed at the end.
    /// </summary>
    internal static int Run(TrainSettings settings, TextWriter output, TextWriter errors, InterruptSignal? interrupt = null)
    {
        if (settings.Distributed || MpiCommunicator.Launched)
            return RunDistributed(settings, output, errors, interrupt);
        return ErrorReport.Guard(errors, () =>
        {
            using (interrupt)
            {
                var result = TrainRun.Run(settings, output, interrupt);
                return result.Interrupted ? InterruptSignal.ExitCode : 0;
            }
        });
    }

    /// <summary>The environment variable with the longest wait, in seconds, for the other ranks in one exchange (default 300).</summary>
    internal const string PeerTimeoutVariable = "ENGINE_PEER_TIMEOUT";

    /// <summary>
    /// One rank of a data-parallel run started by mpiexec. A rank that fails reports it (rank 0
    /// plainly, the others naming their rank; settings errors, which every rank finds alike, only
    /// by rank 0) and ends every rank at once through MPI_Abort, so none waits on it.
    /// </summary>
    private static int RunDistributed(TrainSettings settings, TextWriter output, TextWriter errors, InterruptSignal? interrupt)
    {
        MpiCommunicator communicator;
        try
        {
            communicator = MpiCommunicator.Start(PeerTimeout());
        }
        catch (Exception e)
        {
            interrupt?.Dispose();
            return ErrorReport.Report(errors, e);
        }
        int code;
        try
        {
            if (settings.Backend?.ToLowerInvariant() == "nccl")
                RequireNccl();
            using (interrupt)
            {
                var result = TrainRun.Run(settings, output, interrupt, communicator);
                code = result.Interrupted ? InterruptSignal.ExitCode : 0;
            }
        }
        catch (Exception e)
        {
            if (communicator.Rank == 0)
                ErrorReport.Report(errors, e);
            else if (e is not ArgumentException)
                errors.WriteLine($"error: rank {communicator.Rank} of {communicator.Size}: {ErrorReport.Describe(e)}");
            else
                Thread.Sleep(TimeSpan.FromSeconds(5)); // rank 0 found the same, and reports it before its abort ends this process
            output.Flush();
            errors.Flush();
            // Hydra forwards a rank's output through its proxy asynchronously and drops what it has not
            // forwarded when an abort tears the launch down (seen once in CI under load): give it time.
            if (communicator.Rank == 0)
                Thread.Sleep(TimeSpan.FromSeconds(1));
            int failure = e is CommunicatorException ? ErrorReport.PeerLost : ErrorReport.Failure; // launch restarts after the first
            communicator.Abort(failure);
            return failure;
        }
        communicator.Dispose();
        return code;
    }

    // NCCL is loaded first, before the data and the device: its absence is one line from rank 0
    // (an ArgumentException: every rank finds it alike), naming the library and how to get it.
    private static void RequireNccl()
    {
        try
        {
            NcclCommunicator.CheckAvailable();
        }
        catch (CommunicatorException e)
        {
            throw new ArgumentException($"--backend nccl: {e.Message}", e);
        }
    }

    private static TimeSpan PeerTimeout()
    {
        string? text = Environment.GetEnvironmentVariable(PeerTimeoutVariable);
        if (string.IsNullOrEmpty(text))
            return TimeSpan.FromSeconds(300);
        return double.TryParse(text, NumberStyles.Float, CultureInfo.InvariantCulture, out double seconds) && seconds > 0 && seconds <= 86_400
            ? TimeSpan.FromSeconds(seconds)
            : throw new ArgumentException($"{PeerTimeoutVariable} must be a number of seconds in (0, 86400], got '{text}'.");
    }

    /// <summary><c>512M</c>, <c>4G</c>, <c>1.5G</c>, <c>100000</c> (bytes); null stays null.</summary>
    internal static long? ParseBytes(string? text)
    {
        if (text is null)
            return null;
        var match = System.Text.RegularExpressions.Regex.Match(text.Trim(), @"^([0-9]+(?:\.[0-9]+)?)\s*([KMGT]?)(?:i?B)?$", System.Text.RegularExpressions.RegexOptions.IgnoreCase);
        double value = match.Success ? double.Parse(match.Groups[1].Value, CultureInfo.InvariantCulture) : 0;
        long unit = match.Groups[2].Value.ToUpperInvariant() switch { "K" => 1L << 10, "M" => 1L << 20, "G" => 1L << 30, "T" => 1L << 40, _ => 1 };
        if (!match.Success || value * unit < 1 || value * unit >= long.MaxValue)
            throw new ArgumentException($"--memory-limit must be a positive size such as 512M or 4G, got '{text}'.");
        return (long)(value * unit);
    }
}

using System.Diagnostics;
using System.Globalization;
using System.Text.Json;
using Engine.Cli.Datasets;
using Engine.Cli.Imaging;
using Engine.Data;
using Engine.Devices;
using Engine.Distributed;
using Engine.Models;
using Engine.Modules;
using Engine.Training;

namespace Engine.Cli.Training;

/// <summary>
/// <c>train</c> over the library's <see cref="Trainer"/>: resolves the command line's settings (a
/// resumed run takes what was not given from its checkpoint, <see cref="ResumeSettings"/>), loads
/// the data, builds the model, opens the device and the run folder, reports progress (a live bar
/// or plain lines) and draws the curves after every epoch; the library does the rest. SIGINT or
/// SIGTERM stop the run at a committed checkpoint.
/// </summary>
internal static class TrainRun
{
    /// <summary>Trains as <paramref name="requested"/> asks.</summary>
    /// <exception cref="ArgumentException">Bad settings, named.</exception>
    /// <exception cref="InvalidDataException">A checkpoint that does not fit, damaged data, or a loss or gradient that went non-finite.</exception>
    /// <exception cref="IOException">An output folder that holds a run, cannot be written or lacks space.</exception>
    internal static TrainingResult Run(TrainSettings requested, TextWriter output, InterruptSignal? interrupt = null, ICommunicator? communicator = null)
    {
        int rank = communicator?.Rank ?? 0, ranks = communicator?.Size ?? 1;
        bool root = rank == 0;
        if (!root)
            output = TextWriter.Null;
        string kind = TrainSettings.Kind(requested.Model);
        using var folder = new RunFolder((requested with { Model = kind }).OutputDirectory, [CurvePlot.File]);
        CheckpointInfo? resumed = null;
        TrainSettings settings;
        var changes = new List<string>();
        if (requested.Resume)
        {
            requested.Validate();
            try
            {
                resumed = root ? folder.PrepareResume() : null;
            }
            catch (FileNotFoundException e)
            {
                throw new FileNotFoundException($"--resume: there is no checkpoint '{e.FileName}' to resume from.", e.FileName, e);
            }
            communicator?.Barrier(); // rank 0 has settled the folder (a newer best copied over the last)
            resumed ??= folder.JoinResume(); // the run folder lies on a file system every rank sees
            var recorded = resumed.CommandLineSettings(folder.LastPath);
            if (recorded.Model != kind)
                throw new ArgumentException($"--resume: '{folder.LastPath}' is a {recorded.Model} run, not {kind}.");
            if (resumed.Ranks != ranks)
                throw new ArgumentException($"--resume: '{folder.LastPath}' was trained on {resumed.Ranks} rank{(resumed.Ranks == 1 ? "" : "s")}, each with its shard of the data; resume it on as many ({(resumed.Ranks == 1 ? "without mpiexec" : $"mpiexec -n {resumed.Ranks}")}), not {ranks}.");
            (settings, changes) = ResumeSettings.Merge(requested, recorded, resumed.Position);
            int done = resumed.Epoch + (resumed.Step > 0 ? 1 : 0);
            if (settings.Epochs < done)
                throw new ArgumentException($"--resume: this run is {resumed.Position}; --epochs {settings.Epochs} is fewer than the epochs it has begun ({done}).");
        }
        else
        {
            if (requested.DataDirectory is string dataDirectory && requested.Dataset is null)
                requested = requested with { Dataset = DatasetCatalog.Infer(dataDirectory) };
            // The folder recorded in full: eval, segment, sample and resumes find it from anywhere.
            if (requested.DataDirectory is string given)
                requested = requested with { DataDirectory = Path.GetFullPath(given) };
            settings = requested.Resolve();
            settings.Validate();
            if (settings.DataDirectory is null && DatasetCatalog.DefaultFolder(settings.Dataset!) is string folderOfData)
                settings = settings with { DataDirectory = Path.GetFullPath(folderOfData) };
            try
            {
                if (root)
                    folder.PrepareNew(settings.Overwrite);
            }
            catch (RunExistsException e)
            {
                throw new IOException($"'{e.Folder}' holds a run ({e.Run}): continue it with --resume, replace it with --overwrite, or choose another folder with -o.", e);
            }
            catch (ForeignFilesException e)
            {
                throw new IOException($"'{e.Folder}' holds {ForeignFilesException.Listed(e.Entries)} and no run: train writes a run's files there (checkpoints, {RunLog.EpochsFile}, {RunLog.StepsFile}, {CurvePlot.File}); " +
                    "choose an empty or new folder with -o, or give --overwrite to write the run beside them (files of those names are replaced).", e);
            }
        }
        settings.Validate();

        if (resumed is null)
            settings = settings with { DataFiles = DatasetCatalog.Files(settings.Dataset!, settings.DataDirectory).Select(DataFile.Of).ToList() };
        var data = DatasetCatalog.Load(settings.Dataset!, settings.DataDirectory);
        var (train, test) = settings.Limit is int limit ? (data.Train.Take(limit), data.Test.Take(limit)) : (data.Train, data.Test);
        bool classifies = kind is "resnet" or "sppnet";
        if (TrainSettings.Segments(kind) && train.Masks is null || classifies && train.Labels is null)
            throw new ArgumentException($"train {kind} needs a dataset with {(classifies ? "labels" : "masks")}; '{data.Name}' has none.");
        // At several sizes: both splits resized to each (the model options record the data's own size).
        var sides = settings.SizeList;
        IDataset trainData = settings.AtSizes(train), testData = settings.AtSizes(test);
        int batch = settings.BatchSize!.Value;
        if ((long)batch * ranks > train.Count)
            throw new ArgumentException(ranks == 1 ? $"--batch-size {batch} is larger than the {train.Count} training images."
                : $"--batch-size {batch} on each of {ranks} ranks ({(long)batch * ranks} images a step) is more than the {train.Count} training images.");
        int stepsPerEpoch = train.Count / (batch * ranks);
        if (RunFolder.StepRecordsPerCommit(stepsPerEpoch, settings.SaveEvery, settings.LogInterval) is long records and > RunFolder.MostStepRecordsPerCommit)
            throw new ArgumentException($"--log-every {settings.LogInterval} over {Math.Min(stepsPerEpoch, settings.SaveEvery ?? stepsPerEpoch):N0} steps between commits keeps {records:N0} step records in a checkpoint, " +
                $"more than it holds ({RunFolder.MostStepRecordsPerCommit:N0}): give a larger --log-every or a smaller --save-every.");
        var modelOptions = settings.ModelOptionsFor(train.Channels, Math.Max(train.Classes, 1), train.Height, train.Width);
        if (Engine.Models.ModelLimits.Problem(modelOptions, name => name switch
            {
                nameof(Engine.Models.ModelOptions.ImageSize) => $"the image height of '{data.Name}'",
                nameof(Engine.Models.ModelOptions.ImageWidth) => $"the image width of '{data.Name}'",
                nameof(Engine.Models.ModelOptions.Classes) => $"the classes of '{data.Name}'",
                nameof(Engine.Models.ModelOptions.InChannels) => $"the channels of '{data.Name}'",
                var other => OptionNames.Of(other) ?? other,
            }) is string beyond)
            throw new ArgumentException($"{beyond}: a checkpoint of this run could not be read back.");
        if (resumed is not null && resumed.Model != modelOptions)
            throw new InvalidDataException($"--resume: '{folder.LastPath}' holds {resumed.Model} but these settings build {modelOptions}.");
        var model = ModelFactory.Create(modelOptions);
        if (model is ResNet resnet)
        {
            if (settings.Init == "pytorch")
                resnet.WithLayerDefaultInit();
            if (settings.ZeroInitResidual == true)
                resnet.WithZeroInitResidual();
        }
        var (deviceSpec, deviceSource) = DeviceChoice(requested, settings, resumed is null ? null : folder.LastPath);
        using var device = OpenDevice(deviceSpec, deviceSource);
        if (settings.MemoryLimit is long memoryLimit)
            device.MemoryLimit = memoryLimit;
        // NCCL joins the ranks MPI started, on this rank's device; MPI stays the bootstrap and carries the host-side exchanges.
        using var nccl = settings.Backend?.ToLowerInvariant() == "nccl" && communicator is MpiCommunicator mpi ? NcclCommunicator.Start(mpi, device) : null;
        communicator = nccl ?? communicator;
        ulong seed = settings.Seed!.Value;
        using var task = CreateTask(kind, model, device, seed, settings, modelOptions.Classes);
        try
        {
            var trainer = new Trainer(task, settings.ToOptions(train.Height))
            {
                Communicator = communicator,
                GradientBucketBytes = communicator is null ? DataParallel.DefaultBucketBytes : GradientExchange.BucketBytes(),
                OverlapGradientExchange = communicator is null || GradientExchange.Overlap(),
                ModelOptions = modelOptions,
                Application = JsonSerializer.SerializeToElement(settings),
                ResumeChanges = changes,
            };
            using var session = trainer.Prepare(trainData, testData, folder);
            int epochs = settings.Epochs!.Value;
            output.WriteLine($"train {kind}: {modelOptions.Name}, {model.ParameterCount:N0} parameters, on {device.Info.Spec} ({device.Info.Name}; {deviceSource})");
            output.WriteLine($"  data {data.Name}: {train.Count} training / {test.Count} test images of {train.Channels}x{train.Height}x{train.Width}{(sides.Count == 0 ? "" : $" at sides {string.Join(", ", sides)} (resized bilinearly; each batch one size)")}; " +
                (ranks == 1 ? $"batch {batch}" : $"batch {batch} on each of {ranks} ranks ({batch * ranks} a step{(settings.SyncBatchNorm == true ? ", synchronised batch norm" : "")}) over {communicator!.Description}") + (settings.Accumulate is int accumulated and > 1 ? $", {accumulated} batches accumulated a step ({batch * accumulated * ranks} images)" : "") + $", {epochs} epochs, {(settings.Optimizer == "sgd" ? "SGD (momentum 0.9)" : "AdamW")} lr {settings.LearningRate} ({ScheduleName(settings.Schedule)}), weight decay {settings.WeightDecay}{(settings.NoNormBiasDecay == true ? " (none on biases and norms)" : "")}, seed {seed}" +
                (settings.ClipGradNorm is float clip ? $", gradient norm clipped at {clip.ToString(CultureInfo.InvariantCulture)}" : "") + (settings.RestoreBest == true ? ", best weights restored at the end" : "") +
                (resumed is null ? "" : $"; resuming {resumed.Position}"));
            if (root && !CurvePlot.CanDrawText)
                output.WriteLine($"  note: this system has no fonts, so {CurvePlot.File} will have lines but no text (Debian: apt-get install fonts-dejavu-core)");
            foreach (string change in changes)
                output.WriteLine($"  changed on resume, {change}");

            if (settings.EarlyStop is int patience)
                trainer.Callbacks.Add(new EarlyStopping(patience));
            if (root)
                trainer.Callbacks.Add(new CurvePlot.Writer(kind, settings.Dataset!, modelOptions.Name));
            var clock = Stopwatch.StartNew();
            TrainingResult? result = null;
            ProgressReporter.Run(settings.Plain || !root, output, progress =>
            {
                trainer.Callbacks.Insert(0, progress);
                result = session.Run(interrupt?.Token ?? CancellationToken.None);
            });
            var state = result!.Checkpoint;
            if (session.DataParallel is { Exchanges: > 0 } parallel)
            {
                double ms = parallel.ExchangeTime.TotalMilliseconds / parallel.Exchanges;
                double during = parallel.ExchangeTimeDuringBackward.TotalMilliseconds / parallel.Exchanges;
                string overlap = parallel.Overlaps
                    ? $"{parallel.BucketsStartedDuringBackward / (double)parallel.Exchanges:0.#} of {parallel.BucketCount} buckets a step started during the backward pass ({during:F2} ms there), the rest of the exchange after it"
                    : $"{parallel.BucketCount} bucket{(parallel.BucketCount == 1 ? "" : "s")} after the backward pass";
                output.WriteLine($"data-parallel: {parallel.Exchanges} steps on {ranks} ranks; gradient exchange {ms:F2} ms a step after the backward pass " +
                    $"({ByteSize.MiB(parallel.ValuesPerStep * 4)}; {overlap}; rank 0's view: includes waiting for the slowest rank)");
            }
            if (session.StepProfile is { } stepProfile)
            {
                output.WriteLine($"launch profile ({ComputeDevice.ProfileVariable}=1) of one training step (the run's second):");
                output.Write(stepProfile.Format());
            }
            if (result.Interrupted)
            {
                output.WriteLine($"interrupted {(state.Step == 0 ? $"after epoch {state.Epoch}" : $"in epoch {state.Epoch + 1} after step {state.Step} of {session.StepsPerEpoch}")}: " +
                    $"checkpoint {folder.LastPath} committed; continue with: train {kind} -o {folder.Path} --resume");
                return result;
            }
            if (result.StoppedEarly)
                output.WriteLine($"stopped early after epoch {state.Epoch} of {epochs}: {settings.EarlyStop} epoch{(settings.EarlyStop == 1 ? "" : "s")} without a better test {state.Metric} (best {state.Show(state.Best!.Value)} after epoch {state.BestEpoch})");
            if (result.RestoredEpoch is int restored)
                output.WriteLine($"restored the weights of epoch {restored}, the best (--restore-best); the last checkpoint keeps epoch {state.Epoch}'s");
            output.WriteLine($"{data.Name} test {result.Evaluation!.Text}; {clock.Elapsed.TotalSeconds:F0} s; checkpoint {folder.LastPath}" +
                (state.Best is double best && state.BestEpoch != state.Epoch ? $"; best {state.Metric} {state.Show(best)} after epoch {state.BestEpoch}: {folder.BestPath}" : ""));
            WriteSizes(output, result.Evaluation);
            if (root)
                output.WriteLine($"log {Path.Combine(folder.Path, RunLog.EpochsFile)} and {RunLog.StepsFile} ({settings.LogInterval switch { 1 => "every step", int n => $"every {n} steps" }}); curves {Path.Combine(folder.Path, CurvePlot.File)}");
            return result;
        }
        finally
        {
            model.Release();
        }
    }

    /// <summary>
    /// The device to open and where the choice came from: <c>--device</c>, else <c>ENGINE_DEVICE</c>
    /// (the user's standing choice outranks what a resumed run recorded), else the <c>--device</c> a
    /// resumed run recorded, else the automatic choice. Messages say which.
    /// </summary>
    private static (string? Spec, string Source) DeviceChoice(TrainSettings requested, TrainSettings settings, string? checkpoint)
    {
        if (requested.Device is string given)
            return (given, "--device");
        string? environment = Environment.GetEnvironmentVariable(DeviceSpec.EnvironmentVariable);
        if (!string.IsNullOrWhiteSpace(environment))
            return (environment, DeviceSpec.EnvironmentVariable);
        if (checkpoint is not null && settings.Device is string recorded)
            return (recorded, $"the --device {recorded} recorded in '{checkpoint}'");
        return (null, "automatic choice");
    }

    /// <summary>Opens the device; a device that is not there is reported with where it was asked for, and how to choose another.</summary>
    private static ComputeDevice OpenDevice(string? spec, string source)
    {
        try
        {
            return spec is null ? ComputeDevice.Open(DeviceSpec.Auto) : ComputeDevice.Open(spec);
        }
        catch (DeviceNotFoundException e) when (source != "--device")
        {
            throw new DeviceNotFoundException(e.Requested, $"{e.Message.TrimEnd('.')} (the device came from {source}; give --device to choose another).", e);
        }
    }

    private static string ScheduleName(string? schedule) => schedule switch
    {
        "onecycle" => "one-cycle",
        "plateau" => "reduced on plateau",
        "constant" => "constant",
        _ => "cosine",
    };

    /// <summary>One line per image size <paramref name="evaluation"/> reports (data given at sides, by train --sizes or eval --sizes): <c>  at 28x28: test accuracy ...</c>; none otherwise.</summary>
    internal static void WriteSizes(TextWriter output, Evaluation evaluation)
    {
        foreach (var (size, atSize) in evaluation.BySize)
            output.WriteLine($"  at {size}: test {atSize.Text}");
    }

    /// <summary>
    /// The task for a model kind, over a model; a run's <paramref name="seed"/> keys the VAE's and
    /// the denoising autoencoder's evaluation noise, its <paramref name="settings"/> give an
    /// autoencoder's penalty and noise, and a segmentation's <paramref name="classes"/> its metric.
    /// </summary>
    internal static TrainingTask CreateTask(string kind, Module model, ComputeDevice device, ulong seed, TrainSettings? settings, int classes) => kind switch
    {
        "resnet" or "sppnet" => new ClassificationTask(model, device),
        _ when TrainSettings.Segments(kind) => new SegmentationTask(model, device, classes),
        "ae" => new AutoencoderTask((Autoencoder)model, device, settings?.Penalty,
            settings?.Noise == "masking" ? Engine.Ops.Random.NoiseKind.Masking : Engine.Ops.Random.NoiseKind.Gaussian, settings?.NoiseLevel ?? 0.3f, seed),
        _ => new VaeTask((Vae)model, device, seed),
    };
}

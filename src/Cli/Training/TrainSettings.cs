using Engine.Cli.Datasets;
using Engine.Data;
using Engine.Models;
using Engine.Training;

namespace Engine.Cli.Training;

/// <summary>
/// What <c>train</c> was asked for; anything left null takes the model's default (see
/// <see cref="Resolve"/>), chosen so that the defaults run on the embedded data in minutes on two
/// CPU cores. A resumed run takes what was not given from its checkpoint instead (see <see cref="ResumeSettings"/>).
/// </summary>
internal sealed record TrainSettings
{
    /// <summary>A kind of <see cref="Models"/>.</summary>
    public required string Model { get; init; }
    public string? Dataset { get; init; }
    public string? DataDirectory { get; init; }
    public string? Device { get; init; }
    public int? Epochs { get; init; }
    public int? BatchSize { get; init; }
    public float? LearningRate { get; init; }
    public float? WeightDecay { get; init; }
    /// <summary>The one seed of initialisation, shuffling, augmentation and the graph's noise (default 1).</summary>
    public ulong? Seed { get; init; }
    public string? Output { get; init; }
    public bool Resume { get; init; }
    /// <summary>Replace a run already in the output folder.</summary>
    public bool Overwrite { get; init; }
    /// <summary>Channels of the first level (ResNet stem, U-Net level 1).</summary>
    public int? Width { get; init; }
    /// <summary>Use only the first N training and N test images (quick runs).</summary>
    public int? Limit { get; init; }
    /// <summary>Random flips and shifts of the training images.</summary>
    public bool? Augment { get; init; }
    /// <summary>Commit a checkpoint every N steps as well as after every epoch.</summary>
    public int? SaveEvery { get; init; }
    /// <summary>Log every Nth step's loss (null: <see cref="DefaultLogEvery"/>).</summary>
    public int? LogEvery { get; init; }
    /// <summary>Steps between logged losses when <c>--log-every</c> is not given.</summary>
    public const int DefaultLogEvery = 10;
    /// <summary>Steps between logged losses: <c>--log-every</c>, else <see cref="DefaultLogEvery"/> (also for runs recorded before the option).</summary>
    public int LogInterval => LogEvery ?? DefaultLogEvery;
    /// <summary>Most device memory the run may hold, in bytes (null: the device's).</summary>
    public long? MemoryLimit { get; init; }
    /// <summary>Plain progress lines instead of a live bar.</summary>
    public bool Plain { get; init; }
    /// <summary>adamw (default) or sgd (momentum 0.9, PyTorch's coupled weight decay).</summary>
    public string? Optimizer { get; init; }
    /// <summary>The optimisers <c>--optimizer</c> takes.</summary>
    public static IReadOnlyList<string> Optimizers { get; } = ["adamw", "sgd"];
    /// <summary>cosine (default), onecycle, plateau or constant: how the rate moves from <c>--lr</c>.</summary>
    public string? Schedule { get; init; }
    /// <summary>ResNet: torchvision (Kaiming normal, fan-out) or pytorch (the layers' own default, as runs before torchvision's was adopted); null in such older runs.</summary>
    public string? Init { get; init; }
    /// <summary>The initialisations <c>--init</c> takes.</summary>
    public static IReadOnlyList<string> Inits { get; } = ["torchvision", "pytorch"];
    /// <summary>ResNet: torchvision's <c>zero_init_residual</c>.</summary>
    public bool? ZeroInitResidual { get; init; }
    /// <summary>No weight decay on biases and batch-norm parameters (rank-1 parameters): the optimiser's second parameter group.</summary>
    public bool? NoNormBiasDecay { get; init; }
    /// <summary>The schedules <c>--schedule</c> takes.</summary>
    public static IReadOnlyList<string> Schedules { get; } = ["cosine", "onecycle", "plateau", "constant"];
    /// <summary>Data-parallel runs: batch-norm statistics over every rank's batch (default off: each rank's own).</summary>
    public bool? SyncBatchNorm { get; init; }
    /// <summary>Stop after this many epochs without an improvement of the test metric (null: never).</summary>
    public int? EarlyStop { get; init; }
    /// <summary>Clip the gradients' global L2 norm to at most this before each update (torch's clip_grad_norm_; null: none).</summary>
    public float? ClipGradNorm { get; init; }
    /// <summary>Batches whose gradients each update sums (null: 1, none accumulated).</summary>
    public int? Accumulate { get; init; }
    /// <summary>Put the best epoch's weights back at the run's end (null: off).</summary>
    public bool? RestoreBest { get; init; }
    /// <summary>ae: plain, denoising, sparse or contractive.</summary>
    public string? AutoencoderKind { get; init; }
    /// <summary>The autoencoder kinds <c>--kind</c> takes.</summary>
    public static IReadOnlyList<string> AutoencoderKinds { get; } = ["plain", "denoising", "sparse", "contractive"];
    /// <summary>vae and ae: size of the code (default: vae 20, ae 32; 2 to plot it).</summary>
    public int? Latent { get; init; }
    /// <summary>The denoising ae: gaussian or masking.</summary>
    public string? Noise { get; init; }
    /// <summary>The noises <c>--noise</c> takes.</summary>
    public static IReadOnlyList<string> Noises { get; } = ["gaussian", "masking"];
    /// <summary>The denoising ae: the Gaussian's standard deviation or the masked fraction (default 0.3 or 0.25).</summary>
    public float? NoiseLevel { get; init; }
    /// <summary>The sparse or contractive ae: the penalty's weight λ (default 0.01 or 0.1).</summary>
    public float? Penalty { get; init; }
    /// <summary>The files the run was trained from (null for the embedded datasets and runs recorded before they were kept); checked on every resume.</summary>
    public IReadOnlyList<DataFile>? DataFiles { get; init; }
    /// <summary>Join the ranks started by mpiexec even when there is only one (several ranks join without being asked).</summary>
    public bool Distributed { get; init; }
    /// <summary>What carries a data-parallel run's device tensors: mpi (the default: through host memory) or nccl (GPU to GPU; CUDA devices).</summary>
    public string? Backend { get; init; }
    /// <summary>The backends <c>--backend</c> takes.</summary>
    public static IReadOnlyList<string> Backends { get; } = ["mpi", "nccl"];

    /// <summary>
    /// Classifiers only (resnet, sppnet): the image sides to train and test at, comma-separated
    /// (<c>28,36</c>); every batch has one of them, and the test accuracy is reported at each
    /// (<see cref="Engine.Data.MultiSizeDataset"/>; sppnet's default <c>28,36</c>, else the data's own size).
    /// </summary>
    public string? Sizes { get; init; }

    /// <summary>
    /// deeplab and pspnet: the backbone's output stride, 4, 8 (the default) or 16 (null in other
    /// models' runs and in runs recorded before the option, which were 8).
    /// </summary>
    public int? OutputStride { get; init; }

    /// <summary>The output strides <c>--output-stride</c> takes.</summary>
    public static IReadOnlyList<int> OutputStrides { get; } = [4, 8, 16];

    /// <summary>
    /// DeepLab's first atrous rate r (rates r, 2r, 3r) at <paramref name="outputStride"/>: 3 at output
    /// stride 8, scaled so that the rates span the same pixels of the image at any stride (6 at 4;
    /// 1.5 at 16 rounds up to 2).
    /// </summary>
    public static int AtrousRateAt(int outputStride) => (24 + outputStride - 1) / outputStride;

    /// <summary>The sides <see cref="Sizes"/> lists (none when it is null).</summary>
    public IReadOnlyList<int> SizeList => Sizes is null ? [] : [.. Sizes.Split(',').Select(ParseSide)];

    /// <summary><paramref name="data"/> at each of <see cref="Sizes"/>' sides (as it is without them).</summary>
    public Engine.Data.IDataset AtSizes(Engine.Data.IDataset data) =>
        SizeList.Count == 0 ? data : new Engine.Data.MultiSizeDataset(data, [.. SizeList.Select(side => (side, side))]);

    private static int ParseSide(string text) =>
        int.TryParse(text.Trim(), System.Globalization.NumberStyles.None, System.Globalization.CultureInfo.InvariantCulture, out int side) && side >= 4 && side <= Engine.Models.ModelLimits.MaxImageSide
            ? side
            : throw new ArgumentException($"--sizes takes image sides from 4 to {Engine.Models.ModelLimits.MaxImageSide} separated by commas (e.g. 28,36), got '{text}'.");

    /// <summary>The models <c>train</c> knows.</summary>
    public static IReadOnlyList<string> Models => ModelNames.Kinds;

    /// <summary>The kinds that segment (per-pixel classes): U-Net, FCN, DeepLabV3, PSPNet, SegNet and DeconvNet.</summary>
    public static IReadOnlyList<string> SegmentationModels { get; } = ["unet", "fcn32s", "fcn16s", "fcn8s", "deeplab", "pspnet", "segnet", "deconvnet"];

    /// <summary>True for a kind that segments.</summary>
    public static bool Segments(string kind) => SegmentationModels.Contains(kind);

    /// <summary>The model kind by its one name (<see cref="ModelNames"/>; any case, an earlier name read as today's); unknown kinds are an error that lists the known ones.</summary>
    public static string Kind(string model) =>
        ModelNames.Kind(model) ?? throw new ArgumentException($"Unknown model '{model}' for train. Known: {string.Join(", ", Models)}.");

    /// <summary>Fills every unset value with the model's default; unknown models are an error.</summary>
    public TrainSettings Resolve() =>
        (this with { Sizes = Sizes?.Replace(" ", "", StringComparison.Ordinal), Dataset = Dataset?.ToLowerInvariant(), Optimizer = Optimizer?.ToLowerInvariant() ?? "adamw", Schedule = Schedule?.ToLowerInvariant() ?? "cosine", NoNormBiasDecay = NoNormBiasDecay ?? false }).Defaults();

    private TrainSettings Defaults() => Kind(Model) switch
    {
        "resnet" or "sppnet" => this with
        {
            Model = Kind(Model),
            Dataset = Dataset ?? DatasetCatalog.FashionMnistSmall,
            Epochs = Epochs ?? (Kind(Model) == "sppnet" ? 5 : 3),
            BatchSize = BatchSize ?? 64,
            LearningRate = LearningRate ?? 2e-3f,
            WeightDecay = WeightDecay ?? 5e-4f,
            Seed = Seed ?? 1,
            Width = Width ?? (Kind(Model) == "sppnet" ? 16 : 8),
            Augment = Augment ?? false,
            SyncBatchNorm = SyncBatchNorm ?? false,
            // ResNet's initialisation choices; sppnet's own sides (a ResNet trains at the data's size unless given).
            Init = Kind(Model) == "resnet" ? Init?.ToLowerInvariant() ?? "torchvision" : Init,
            ZeroInitResidual = Kind(Model) == "resnet" ? ZeroInitResidual ?? false : ZeroInitResidual,
            Sizes = Sizes ?? (Kind(Model) == "sppnet" ? "28,36" : null),
        },
        "unet" => this with
        {
            Model = "unet",
            Dataset = Dataset ?? DatasetCatalog.BrainMri,
            Epochs = Epochs ?? 30,
            BatchSize = BatchSize ?? 4,
            LearningRate = LearningRate ?? 2e-3f,
            WeightDecay = WeightDecay ?? 1e-4f,
            Seed = Seed ?? 1,
            Width = Width ?? 8,
            Augment = Augment ?? true,
            SyncBatchNorm = SyncBatchNorm ?? false,
        },
        "fcn32s" or "fcn16s" or "fcn8s" or "deeplab" or "pspnet" or "segnet" or "deconvnet" => this with
        {
            Model = Kind(Model),
            Dataset = Dataset ?? DatasetCatalog.M2nist,
            Epochs = Epochs ?? 10,
            BatchSize = BatchSize ?? 16,
            LearningRate = LearningRate ?? 2e-3f,
            WeightDecay = WeightDecay ?? 1e-4f,
            Seed = Seed ?? 1,
            Width = Width ?? (Kind(Model) is "deeplab" or "pspnet" ? 8 : 16),
            OutputStride = Kind(Model) is "deeplab" or "pspnet" ? OutputStride ?? 8 : OutputStride,
            Augment = Augment ?? false,
            SyncBatchNorm = SyncBatchNorm ?? false,
        },
        "ae" => this with
        {
            Model = "ae",
            Dataset = Dataset ?? DatasetCatalog.FashionMnistSmall,
            Epochs = Epochs ?? 10,
            BatchSize = BatchSize ?? 64,
            LearningRate = LearningRate ?? 1e-3f,
            WeightDecay = WeightDecay ?? 0f,
            Seed = Seed ?? 1,
            Augment = Augment ?? false,
            SyncBatchNorm = SyncBatchNorm ?? false,
            AutoencoderKind = AutoencoderKind?.ToLowerInvariant() ?? "plain",
            Latent = Latent ?? 32,
            // The other kinds keep what was given, for Validate to refuse.
            Noise = (AutoencoderKind?.ToLowerInvariant() == "denoising") ? Noise?.ToLowerInvariant() ?? "gaussian" : Noise,
            NoiseLevel = (AutoencoderKind?.ToLowerInvariant() == "denoising") ? NoiseLevel ?? (Noise?.ToLowerInvariant() == "masking" ? 0.25f : 0.3f) : NoiseLevel,
            Penalty = AutoencoderKind?.ToLowerInvariant() switch { "sparse" => Penalty ?? 0.01f, "contractive" => Penalty ?? 0.1f, _ => Penalty },
        },
        _ => this with
        {
            Model = "vae",
            Latent = Latent ?? 20,
            Dataset = Dataset ?? DatasetCatalog.FashionMnistSmall,
            Epochs = Epochs ?? 10,
            BatchSize = BatchSize ?? 64,
            LearningRate = LearningRate ?? 1e-3f,
            WeightDecay = WeightDecay ?? 0f,
            Seed = Seed ?? 1,
            Width = Width,
            Augment = Augment ?? false,
            SyncBatchNorm = SyncBatchNorm ?? false,
        },
    };

    /// <summary>
    /// Settings a checkpoint recorded, read as this build means them: what earlier builds left out
    /// is what they did (AdamW, a cosine schedule, decay on every parameter, a ResNet initialised
    /// with the layers' own defaults and no zero-initialised residuals, one batch a step, a VAE's
    /// code of 20, the last weights kept at the end).
    /// </summary>
    public TrainSettings Upgraded() => this with
    {
        Optimizer = Optimizer ?? "adamw",
        Schedule = Schedule ?? "cosine",
        NoNormBiasDecay = NoNormBiasDecay ?? false,
        Init = Init ?? (Model == "resnet" ? "pytorch" : null),
        ZeroInitResidual = ZeroInitResidual ?? (Model == "resnet" ? false : null),
        Accumulate = Accumulate ?? 1,
        Latent = Latent ?? (Model == "vae" ? 20 : null),
        OutputStride = OutputStride ?? (Model is "deeplab" or "pspnet" ? 8 : null), // runs from before --output-stride were at 8
        RestoreBest = RestoreBest ?? false,
    };

    /// <summary>The output folder: <c>--output</c>, else <c>runs/&lt;model&gt;</c>.</summary>
    public string OutputDirectory => Output ?? Path.Combine("runs", Kind(Model));

    /// <summary>
    /// The model to build for data with <paramref name="channels"/>, <paramref name="classes"/> and
    /// images of <paramref name="size"/> rows and <paramref name="width"/> columns (recorded when not square).
    /// </summary>
    public ModelOptions ModelOptionsFor(int channels, int classes, int size, int width) => ModelOptionsFor(channels, classes, size) with { ImageWidth = width == size ? null : width };

    private ModelOptions ModelOptionsFor(int channels, int classes, int size) => Model switch
    {
        "resnet" => new ModelOptions("resnet18", classes, channels, SmallStem: true, BaseWidth: Width!.Value, ImageSize: size),
        "sppnet" => new ModelOptions("sppnet", classes, channels, BaseWidth: Width!.Value, ImageSize: size),
        "unet" => new ModelOptions("unet", classes, channels, Padded: true, BaseWidth: Width!.Value, ImageSize: size, Depth: 4, BatchNorm: true),
        // The light configurations: FCN with batch norm, the padded layout (crops at offset 0) and 16 x width fc channels;
        // DeepLabV3 at output stride 8 with rates 3, 6, 9 (its 8 x 12 features of a 64 x 96 image; 6, 12, 18 on the 16 x 24 of
        // output stride 4) and a head of 8 x width;
        // SegNet with four of VGG's five blocks.
        "fcn32s" or "fcn16s" or "fcn8s" => new ModelOptions(Model, classes, channels, Padded: true, BaseWidth: Width!.Value, ImageSize: size, BatchNorm: true, HeadChannels: 16 * Width!.Value),
        "deeplab" => new ModelOptions("deeplab", classes, channels, BaseWidth: Width!.Value, ImageSize: size, HeadChannels: 8 * Width!.Value,
            AtrousRate: AtrousRateAt(OutputStride ?? 8), OutputStride: OutputStride ?? 8),
        // PSPNet on the same backbone at output stride 8, its head of 8 x width (the pyramid's bins 1, 2, 3 and 6 on 8 x 12 features).
        "pspnet" => new ModelOptions("pspnet", classes, channels, BaseWidth: Width!.Value, ImageSize: size, HeadChannels: 8 * Width!.Value, OutputStride: OutputStride ?? 8),
        "segnet" => new ModelOptions("segnet", classes, channels, BaseWidth: Width!.Value, ImageSize: size, Depth: 4),
        // DeconvNet with SegNet's four blocks and FCN's 16 x width fc channels; fc6's kernel is the bottleneck (4 x 6 of a 64 x 96 image).
        "deconvnet" => new ModelOptions("deconvnet", classes, channels, BaseWidth: Width!.Value, ImageSize: size, Depth: 4, HeadChannels: 16 * Width!.Value),
        "ae" => new ModelOptions($"ae-{AutoencoderKind}", 0, channels, ImageSize: size, Latent: Latent!.Value),
        _ => new ModelOptions("vae", 0, channels, ImageSize: size, Latent: Latent ?? 20),
    };

    /// <summary>The library loop's options for these (resolved) settings, on images of <paramref name="imageHeight"/> rows (augmentation shifts by a sixteenth of it).</summary>
    public TrainingOptions ToOptions(int imageHeight) => new()
    {
        Epochs = Epochs!.Value,
        BatchSize = BatchSize!.Value,
        LearningRate = LearningRate!.Value,
        WeightDecay = WeightDecay!.Value,
        Seed = Seed!.Value,
        Optimizer = Optimizer == "sgd" ? OptimizerKind.Sgd : OptimizerKind.AdamW,
        Schedule = Schedule switch
        {
            "onecycle" => ScheduleKind.OneCycle,
            "plateau" => ScheduleKind.Plateau,
            "constant" => ScheduleKind.Constant,
            _ => ScheduleKind.Cosine,
        },
        NoDecayOnBiasesAndNorms = NoNormBiasDecay == true,
        Augmentation = Augment == true ? new Augmentation(HorizontalFlip: true, Padding: imageHeight / 16) : null,
        SaveEvery = SaveEvery,
        LogEvery = LogInterval,
        SyncBatchNorm = SyncBatchNorm == true,
        ClipGradNorm = ClipGradNorm,
        Accumulate = Accumulate ?? 1,
        RestoreBestWeights = RestoreBest == true,
    };

    /// <summary>
    /// Checks every value (finite, in range) and names the first that is not; integer products that
    /// could wrap are checked where they are formed.
    /// </summary>
    public void Validate()
    {
        // The library's checks of its options, under the command line's names; what was not given at the library's defaults, which pass.
        var defaults = new TrainingOptions();
        var given = defaults with
        {
            Epochs = Epochs ?? defaults.Epochs, BatchSize = BatchSize ?? defaults.BatchSize, LearningRate = LearningRate ?? defaults.LearningRate,
            WeightDecay = WeightDecay ?? defaults.WeightDecay, SaveEvery = SaveEvery, LogEvery = LogEvery ?? defaults.LogEvery,
            ClipGradNorm = ClipGradNorm, Accumulate = Accumulate ?? defaults.Accumulate,
        };
        if (given.Problem(name => OptionNames.Of(name) ?? name) is string problem)
            throw new ArgumentException(problem);
        if (Width <= 0)
            throw new ArgumentException($"--base-width must be positive, got {Width}.");
        if (Width > 4096)
            throw new ArgumentException($"--base-width must be at most 4096, got {Width}.");
        if (Limit <= 0)
            throw new ArgumentException($"--limit must be positive, got {Limit}.");
        if (Sizes is not null && Kind(Model) is not ("resnet" or "sppnet"))
            throw new ArgumentException($"--sizes applies to the classifiers (resnet, sppnet), not {Kind(Model)}.");
        if (OutputStride is not null && Kind(Model) is not ("deeplab" or "pspnet"))
            throw new ArgumentException($"--output-stride applies to deeplab and pspnet, not {Kind(Model)}.");
        if (OutputStride is int stride && !OutputStrides.Contains(stride))
            throw new ArgumentException($"--output-stride must be one of {string.Join(", ", OutputStrides)}, got {stride}.");
        if (SizeList.Distinct().Count() != SizeList.Count)
            throw new ArgumentException($"--sizes lists each side once, got '{Sizes}'.");
        if (EarlyStop <= 0)
            throw new ArgumentException($"--early-stop must be positive, got {EarlyStop}.");
        if (MemoryLimit <= 0)
            throw new ArgumentException($"--memory-limit must be positive, got {MemoryLimit}.");
        if (Backend is string backend && !Backends.Contains(backend.ToLowerInvariant()))
            throw new ArgumentException($"--backend must be one of {string.Join(", ", Backends)}, got '{backend}'.");
        if (Backend is not null && !Distributed && !Engine.Distributed.MpiCommunicator.Launched)
            throw new ArgumentException("--backend chooses how the ranks of a data-parallel run exchange (under mpiexec, or with --distributed); this run has none.");
        if (Optimizer is string optimizer && !Optimizers.Contains(optimizer.ToLowerInvariant()))
            throw new ArgumentException($"--optimizer must be one of {string.Join(", ", Optimizers)}, got '{optimizer}'.");
        if (Init is string init && !Inits.Contains(init.ToLowerInvariant()))
            throw new ArgumentException($"--init must be one of {string.Join(", ", Inits)}, got '{init}'.");
        if (Model != "resnet" && (Init is not null || ZeroInitResidual is not null))
            throw new ArgumentException($"--init and --zero-init-residual apply to resnet only, not the {Model}.");
        if (Schedule is string schedule && !Schedules.Contains(schedule.ToLowerInvariant()))
            throw new ArgumentException($"--schedule must be one of {string.Join(", ", Schedules)}, got '{schedule}'.");
        if (Resume && Overwrite)
            throw new ArgumentException("--resume continues the run in the folder and --overwrite replaces it: give one.");
        if (Model is "vae" or "ae" && Width is not null)
            throw new ArgumentException($"--base-width does not apply to the {Model}.");
        if (Model is not ("vae" or "ae") && Latent is not null)
            throw new ArgumentException($"--latent applies to vae and ae only, not {Model}.");
        if (Latent is < 1 or > 65536)
            throw new ArgumentException($"--latent must be between 1 and 65536, got {Latent}.");
        if (Model != "ae" && (AutoencoderKind ?? Noise ?? (object?)NoiseLevel ?? Penalty) is not null)
            throw new ArgumentException($"--kind, --noise, --noise-level and --penalty apply to ae only, not {Model}.");
        if (AutoencoderKind is string aeKind && !AutoencoderKinds.Contains(aeKind.ToLowerInvariant()))
            throw new ArgumentException($"--kind must be one of {string.Join(", ", AutoencoderKinds)}, got '{aeKind}'.");
        if (Model == "ae" && (Noise ?? (object?)NoiseLevel) is not null && AutoencoderKind?.ToLowerInvariant() != "denoising")
            throw new ArgumentException($"--noise and --noise-level apply to --kind denoising only, not {AutoencoderKind ?? "plain"}.");
        if (Model == "ae" && Penalty is not null && AutoencoderKind?.ToLowerInvariant() is not ("sparse" or "contractive"))
            throw new ArgumentException($"--penalty applies to --kind sparse or contractive only, not {AutoencoderKind ?? "plain"}.");
        if (Noise is string noise && !Noises.Contains(noise.ToLowerInvariant()))
            throw new ArgumentException($"--noise must be one of {string.Join(", ", Noises)}, got '{noise}'.");
        if (NoiseLevel is float level && (Noise?.ToLowerInvariant() == "masking" ? !(level >= 0 && level < 1) : !(level >= 0 && float.IsFinite(level))))
            throw new ArgumentException(Noise?.ToLowerInvariant() == "masking" ? $"--noise-level (the masked fraction) must be in [0, 1), got {level}." : $"--noise-level (the standard deviation) must be a finite number of at least 0, got {level}.");
        if (Penalty is float penalty && !(penalty >= 0 && float.IsFinite(penalty)))
            throw new ArgumentException($"--penalty must be a finite number of at least 0, got {penalty}.");
    }
}
